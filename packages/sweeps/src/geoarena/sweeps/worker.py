"""The sweep worker loop: claim a trial, run it with a heartbeat, tell the study, re-queue on
preemption (SIGTERM), and stop after too many consecutive failures. See ``study`` for the
guarantees and the study handle it works on."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from geoarena.sweeps.objective import TrialObjective, TrialOutcome
from geoarena.sweeps.study import (
    Preempted,
    SweepError,
    SweepHandle,
    attach_parent_run,
    study_counts,
)

log = logging.getLogger(__name__)


@dataclass
class WorkerReport:
    """What one worker did: trial numbers it finished by state, how long it took."""

    worker: str
    trials: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_trials(self) -> int:
        return sum(len(v) for v in self.trials.values())


class _Heartbeat:
    """Writes the running trial's heartbeat every ``interval`` s from a daemon thread."""

    def __init__(self, storage: Any, trial_id: int, interval: float):
        self._storage, self._trial_id, self._interval = storage, trial_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"heartbeat-{trial_id}", daemon=True
        )

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._storage.record_heartbeat(self._trial_id)
            except Exception as exc:  # a failed beat is retried next interval; the trial goes on
                log.warning("heartbeat of trial id %s failed: %s", self._trial_id, exc)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 5)


@contextlib.contextmanager
def _sigterm_as_preempted() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Preempted()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def fail_stale(handle: SweepHandle) -> None:
    """Fail trials whose worker stopped beating (and queue their retries)."""
    if not handle.heartbeat:
        return
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(handle.study)


def _slot_storage(handle: SweepHandle) -> Any:
    """The PostgreSQL storage that claims trial slots itself (``None`` on other storages)."""
    from geoarena.sweeps.rdb import SweepRDBStorage

    backend = getattr(handle.study._storage, "_backend", handle.study._storage)
    return backend if isinstance(backend, SweepRDBStorage) else None


def claim_trial(handle: SweepHandle, allow_new: bool = True) -> Any:
    """Pop a WAITING trial (retry or queued cell), or open a new one while the study has fewer than
    ``n_trials`` finished + running trials. Returns the trial, ``"wait"`` (others are still running
    the last trials) or ``None`` (done).

    On PostgreSQL nothing is locked: the slot is taken in the transaction that creates the trial
    (``geoarena.sweeps.rdb``), together with its first heartbeat and ``worker`` attr. Elsewhere
    the count, ``ask`` and the first heartbeat run under the study lock."""
    study = handle.study
    slots = _slot_storage(handle)
    if slots is not None:
        from geoarena.sweeps.rdb import NoTrialSlot

        limit = handle.config.n_trials if allow_new else 0
        for _ in range(10):  # a WAITING trial seen by the count but popped by another: again
            with slots.claiming(limit, {"worker": handle.worker}), warnings.catch_warnings():
                # Optuna warns that heartbeats are meant for Study.optimize; this loop beats itself
                warnings.simplefilter("ignore", UserWarning)
                try:
                    return study.ask()
                except NoTrialSlot:
                    pass
            counts = study_counts(study)
            if not counts["WAITING"]:
                break
    else:
        with handle.lock:
            counts = study_counts(study)
            finished = counts["COMPLETE"] + counts["PRUNED"]
            if counts["WAITING"] or (
                allow_new and finished + counts["RUNNING"] < handle.config.n_trials
            ):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    trial = study.ask()
                if handle.heartbeat:
                    # first beat before the lock is released: a kill from here on is detectable
                    study._storage.record_heartbeat(trial._trial_id)
                return trial
    if counts["RUNNING"] and handle.heartbeat:
        return "wait"
    return None


def tell(handle: SweepHandle, trial: Any, outcome: TrialOutcome, *, requeued: bool = False) -> None:
    """Finish ``trial`` with ``outcome`` (run id, test metrics and errors as user attrs).

    On PostgreSQL the attrs go into the transaction that records the state, and a trial that
    fails for good (not ``requeued``) gives its trial slot back there."""
    from optuna.trial import TrialState

    attrs: dict[str, Any] = {}
    if outcome.run_id and not outcome.run_id_recorded:
        attrs["mlflow_run_id"] = outcome.run_id
    if outcome.test:
        # one attribute for all test metrics
        attrs["test"] = {k: float(v) for k, v in outcome.test.items()}
    if outcome.error:
        attrs["error"] = outcome.error[-2000:]
    slots = _slot_storage(handle)
    if slots is not None:
        from geoarena.sweeps.rdb import TRIAL_SLOT_ATTR

        give_back = (
            outcome.state == "FAIL"
            and not requeued
            and TRIAL_SLOT_ATTR in trial._cached_frozen_trial.system_attrs
        )
        slots.stage(trial._trial_id, attrs, give_slot_back=give_back)
    else:
        for key, value in attrs.items():
            trial.set_user_attr(key, value)
    # ``Study.tell`` minus its return value: that re-reads the whole finished trial from the
    # storage (~8 round trips on PostgreSQL), which Optuna's own optimize loop does not do either
    from optuna.study._tell import _tell_with_warning

    try:
        if outcome.state == "COMPLETE":
            _tell_with_warning(handle.study, trial, outcome.values)
        else:
            _tell_with_warning(handle.study, trial, state=TrialState[outcome.state])
    finally:
        if slots is not None:
            slots.unstage(trial._trial_id)


def _requeue(handle: SweepHandle, trial: Any) -> None:
    """A preempted trial goes back to the queue with its parameters, as a heartbeat retry would."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    from geoarena.sweeps.storage import give_slot_back, will_retry

    frozen = handle.study._storage.get_trial(trial._trial_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        RetryHeartbeatStaleTrialCallback(max_retry=handle.options.max_retries)(handle.study, frozen)
    if not will_retry(frozen, handle.options.max_retries):
        give_slot_back(handle.study, frozen)


def run_worker(
    handle: SweepHandle,
    tracker: Any = None,
    *,
    max_consecutive_failures: int = 3,
    poll_s: float = 1.0,
    allow_new: bool = True,
    objective: Any = None,
) -> WorkerReport:
    """Run trials until the study holds ``n_trials`` finished ones (see module docstring).

    ``allow_new=False`` only runs queued trials (suite cells, retries).
    """
    start = time.perf_counter()
    report = WorkerReport(handle.worker)
    parent = attach_parent_run(handle, tracker)
    objective = objective or TrialObjective(
        handle.experiment,
        handle.metrics,
        handle.directions,
        handle.config.study,
        tracker=tracker,
        parent_id=parent,
        prune=handle.config.pruner != "none",
        base_cfg=handle.base_cfg,
        worker=handle.worker,
    )
    failures = 0
    deadline = time.monotonic() + handle.config.timeout_s if handle.config.timeout_s > 0 else None
    next_stale_check = 0.0
    wait_s = min(0.05, poll_s)
    while deadline is None or time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_stale_check:
            # a trial turns stale only after grace_s without a heartbeat: looking more often than
            # once per heartbeat interval finds nothing new and costs every worker a query per trial
            fail_stale(handle)
            next_stale_check = now + handle.options.heartbeat_s
        trial = claim_trial(handle, allow_new=allow_new)
        if trial is None:
            break
        if trial == "wait":
            # the other workers' last trials: poll soon (they may be about to finish), then back
            # off to poll_s
            time.sleep(wait_s)
            wait_s = min(2 * wait_s, poll_s)
            continue
        wait_s = min(0.05, poll_s)
        outcome = _run_one(handle, trial, objective)
        tell(handle, trial, outcome)
        report.trials.setdefault(outcome.state, []).append(trial.number)
        log.info(
            "worker %s: trial %d %s %s",
            handle.worker,
            trial.number,
            outcome.state,
            outcome.values or "",
        )
        if outcome.state == "FAIL":
            failures += 1
            if failures >= max_consecutive_failures:
                raise SweepError(
                    f"{failures} trials failed in a row on worker {handle.worker}; last error:\n{outcome.error}"
                )
        else:
            failures = 0
    report.seconds = time.perf_counter() - start
    return report


def _run_one(handle: SweepHandle, trial: Any, objective: Any) -> TrialOutcome:
    beat = (
        _Heartbeat(handle.study._storage, trial._trial_id, handle.options.heartbeat_s)
        if handle.heartbeat
        else contextlib.nullcontext()
    )
    try:
        with _sigterm_as_preempted(), beat:
            return objective(trial)
    except (Preempted, KeyboardInterrupt) as exc:
        tell(
            handle,
            trial,
            TrialOutcome("FAIL", error=f"worker stopped by {type(exc).__name__}"),
            requeued=True,
        )
        _requeue(handle, trial)
        raise SystemExit(143) from None
