"""Optuna sweeps over the harness ``run`` — one worker or hundreds, on one study.

The shape (see ``docs/sweeps.md``)::

    exp = load_experiment("experiments/eo_tiny_finetune.py")
    handle = open_sweep(exp, SweepConfig(study="s1", storage="postgresql://…", n_trials=40))
    report = run_worker(handle, tracker=MLflowTracker(...))      # every worker, every node
    final = run_final(handle, tracker=..., seeds=(0, 1, 2))      # once: best config × seeds

Guarantees:

- the study is created once (``load_if_exists``) and joined by name; a worker whose experiment,
  objectives or directions differ from the study's is refused (``ConfigError``: name clash);
- ``n_trials`` is the study-wide number of *finished* (COMPLETE or PRUNED) trials: on PostgreSQL a
  worker takes a trial slot in the transaction that creates the trial (an atomic counter, no lock
  held across workers: ``geoarena.core.sweep_rdb``), elsewhere it claims under the study lock, so
  N workers never overshoot; a trial that fails for good frees its slot;
- a worker that dies mid-trial stops writing heartbeats; after ``grace_s`` any other worker fails
  the trial and re-queues it with the same parameters (``RetryHeartbeatStaleTrialCallback``);
  workers wait for the running trials of others, so nothing is left RUNNING;
- a trial that raises is recorded FAIL with its error in ``user_attrs["error"]``; after
  ``max_consecutive_failures`` the worker stops with :class:`SweepError` instead of looping;
- the MLflow parent run is created by exactly one worker (under the lock) and its id kept in the
  study's user attrs, so every trial of every worker is its child.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from geoarena.core.config import RunConfig, SweepConfig
from geoarena.core.errors import ConfigError, GeoArenaError
from geoarena.core.sweep_experiment import Experiment
from geoarena.core.sweep_objective import (
    TrialObjective,
    TrialOutcome,
    resolve_directions,
    resolve_metrics,
)
from geoarena.core.sweep_storage import (
    StorageOptions,
    StudyLock,
    open_storage,
    redact,
    storage_kind,
)

log = logging.getLogger(__name__)

PARENT_ATTR = "mlflow.parent_run_id"
TRACKING_ATTR = "mlflow.tracking_uri"
EXPERIMENT_ATTR = "geoarena.experiment"
OBJECTIVES_ATTR = "geoarena.objectives"
FINAL_ATTR = "geoarena.final"


class SweepError(GeoArenaError):
    """A sweep cannot go on (every trial fails, the study is in a state it cannot handle)."""


class Preempted(BaseException):
    """SIGTERM arrived (Slurm/Kubernetes preemption) while a trial ran."""


# samplers and pruners ---------------------------------------------------------------------------
def make_sampler(name: str, n_objectives: int, seed: int | None = None) -> Any:
    """TPE, random, CMA-ES (single objective) or NSGA-II (multi-objective friendly)."""
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "cmaes":
        if n_objectives > 1:
            raise ConfigError(
                "sampler cmaes is single-objective; use nsga2 (or tpe) for multi-objective studies"
            )
        import importlib.util

        if importlib.util.find_spec("cmaes") is None:
            raise ConfigError("sampler cmaes needs the 'cmaes' package: pip install cmaes")
        # categorical parameters fall back to the independent sampler, which CMA-ES warns about
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=8)
    raise ConfigError(f"unknown sampler {name!r}: use tpe, random, cmaes or nsga2")


def make_pruner(name: str, n_objectives: int, max_epochs: int) -> Any:
    """Median, Hyperband or successive halving on the epoch index; ``none`` for no pruning."""
    import optuna

    if name == "none":
        return optuna.pruners.NopPruner()
    if n_objectives > 1:
        raise ConfigError(
            f"pruner {name!r}: Optuna cannot prune multi-objective studies; use --pruner none"
        )
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=max(2, max_epochs), reduction_factor=3
        )
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    raise ConfigError(f"unknown pruner {name!r}: use median, hyperband, sha or none")


# opening a study --------------------------------------------------------------------------------
@dataclass
class SweepHandle:
    """An open study plus everything a worker needs to run trials on it."""

    experiment: Experiment
    config: SweepConfig
    study: Any
    lock: StudyLock
    options: StorageOptions
    base_cfg: RunConfig
    metrics: tuple[str, ...]
    directions: tuple[str, ...]
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @property
    def heartbeat(self) -> bool:
        from optuna.storages._heartbeat import is_heartbeat_enabled

        return is_heartbeat_enabled(self.study._storage)

    def close(self) -> None:
        self.lock.close()


def open_sweep(
    experiment: Experiment,
    config: SweepConfig,
    options: StorageOptions | None = None,
    *,
    sampler_seed: int | None = None,
    must_be_new: bool = False,
    base_cfg: RunConfig | None = None,
) -> SweepHandle:
    """Create the study (once) or join it by name, and check it belongs to this experiment.

    Raises:
        StorageError: storage unreachable or URL malformed (within the connect timeout).
        ConfigError: name clash — the study exists with another experiment/objectives, or
            ``must_be_new`` and it exists at all.
    """
    import optuna

    options = options or StorageOptions(
        heartbeat_s=config.heartbeat_s, max_retries=config.max_retries
    )
    base = base_cfg if base_cfg is not None else experiment.base_config()
    metrics = resolve_metrics(tuple(config.metrics), base)
    directions = resolve_directions(tuple(config.directions), metrics, base)
    sampler = make_sampler(config.sampler, len(metrics), sampler_seed)
    pruner = make_pruner(config.pruner, len(metrics), base.train.epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = open_storage(config.storage, options)
    lock = StudyLock(config.storage, config.study, options)
    signature = {"metrics": list(metrics), "directions": list(directions)}
    where = f"{config.study!r} in {redact(config.storage) or 'the default journal'}"
    with lock:
        try:
            study = optuna.create_study(
                study_name=config.study,
                storage=storage,
                directions=list(directions),
                sampler=sampler,
                pruner=pruner,
                load_if_exists=not must_be_new,
            )
        except optuna.exceptions.DuplicatedStudyError:
            lock.close()
            raise ConfigError(
                f"study {where} already exists (--new-study refuses to join it); pick another --study name"
            ) from None
        attrs = study.user_attrs
        if EXPERIMENT_ATTR not in attrs:
            existing = [t for t in study.get_trials(deepcopy=False)]
            if existing:
                lock.close()
                raise ConfigError(
                    f"study {where} already holds {len(existing)} trials from outside GeoArena; "
                    "pick another --study name"
                )
            study.set_user_attr(EXPERIMENT_ATTR, experiment.name)
            study.set_user_attr(OBJECTIVES_ATTR, signature)
        elif attrs[EXPERIMENT_ATTR] != experiment.name or attrs.get(OBJECTIVES_ATTR) != signature:
            lock.close()
            raise ConfigError(
                f"study name clash: {where} belongs to experiment {attrs[EXPERIMENT_ATTR]!r} with objectives "
                f"{attrs.get(OBJECTIVES_ATTR)}, not {experiment.name!r} with {signature}; "
                "pick another --study name"
            )
        backend = getattr(study._storage, "_backend", None)
        if hasattr(backend, "init_slots"):
            backend.init_slots(study._study_id)  # PostgreSQL: the trial-slot counter, once
    return SweepHandle(experiment, config, study, lock, options, base, metrics, directions)


# MLflow parent run ------------------------------------------------------------------------------
def attach_parent_run(handle: SweepHandle, tracker: Any) -> str | None:
    """The study's MLflow parent run id, created by the first worker that gets here.

    The read-check-create-write runs under the study lock: the first worker finds the attribute
    unset, creates the parent run and stores its id; every later worker (any node) re-reads it.
    A worker pointing at a different tracking store than the parent's is refused.
    """
    if tracker is None:
        return None
    _close_stale_runs(handle, tracker)
    uri = str(getattr(tracker, "tracking_uri", "memory"))
    study = handle.study
    with handle.lock:
        attrs = study.user_attrs
        if PARENT_ATTR in attrs:
            if attrs.get(TRACKING_ATTR) != uri:
                raise ConfigError(
                    f"study {handle.config.study!r} logs to MLflow at {redact(attrs.get(TRACKING_ATTR, '?'))}, "
                    f"this worker to {redact(uri)}: pass the same --tracking-uri to every worker"
                )
            return attrs[PARENT_ATTR]
        parent = tracker.start_run(
            name=f"sweep:{handle.config.study}",
            tags={
                "optuna.study": handle.config.study,
                "sweep.role": "parent",
                "experiment": handle.experiment.name,
                "optuna.storage": redact(handle.config.storage) or "journal",
            },
        )
        tracker.log_params(
            parent,
            {
                "sweep.n_trials": handle.config.n_trials,
                "sweep.sampler": handle.config.sampler,
                "sweep.pruner": handle.config.pruner,
                "sweep.metrics": ",".join(handle.metrics),
                "sweep.directions": ",".join(handle.directions),
                "sweep.seeds": ",".join(map(str, handle.config.seeds)),
                **{f"base.{k}": v for k, v in handle.base_cfg.flat().items()},
            },
        )
        tracker.flush(parent)
        study.set_user_attr(PARENT_ATTR, parent)
        study.set_user_attr(TRACKING_ATTR, uri)
        return parent


def _close_stale_runs(handle: SweepHandle, tracker: Any) -> None:
    """When this worker fails another's stale trial, it also ends that trial's MLflow run."""
    from geoarena.core.sweep_storage import StaleTrialCallback

    storage = handle.study._storage  # RDB storages come wrapped in Optuna's cache layer
    getter = getattr(storage, "get_heartbeat_stale_trial_callback", None)
    callback = getter() if getter is not None else None
    if not isinstance(callback, StaleTrialCallback):
        return

    def close(study: Any, trial: Any) -> None:
        rid = trial.user_attrs.get("mlflow_run_id")
        if not rid:
            return
        try:
            tracker.set_tags(
                rid,
                {
                    "optuna.state": "FAIL",
                    "error": f"worker {trial.user_attrs.get('worker', '?')} lost (heartbeat stale)",
                },
            )
            tracker.end_run(rid, "FAILED")
        except (
            Exception
        ) as exc:  # tracking trouble must not stop the sweep; the trial is failed anyway
            log.warning(
                "could not close MLflow run %s of stale trial %d: %s", rid, trial.number, exc
            )

    callback.listeners.append(close)


# the worker loop --------------------------------------------------------------------------------
@dataclass
class WorkerReport:
    """What one worker did: trial numbers it finished by state, how long it took."""

    worker: str
    trials: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_trials(self) -> int:
        return sum(len(v) for v in self.trials.values())


def study_counts(study: Any) -> Counter[str]:
    """Trials of ``study`` by state name."""
    return Counter(t.state.name for t in study.get_trials(deepcopy=False))


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
    from geoarena.core.sweep_rdb import SweepRDBStorage

    backend = getattr(handle.study._storage, "_backend", handle.study._storage)
    return backend if isinstance(backend, SweepRDBStorage) else None


def claim_trial(handle: SweepHandle, allow_new: bool = True) -> Any:
    """Pop a WAITING trial (retry or queued cell), or open a new one while the study has fewer than
    ``n_trials`` finished + running trials. Returns the trial, ``"wait"`` (others are still running
    the last trials) or ``None`` (done).

    On PostgreSQL nothing is locked: the slot is taken in the transaction that creates the trial
    (``geoarena.core.sweep_rdb``), together with its first heartbeat and ``worker`` attr. Elsewhere
    the count, ``ask`` and the first heartbeat run under the study lock."""
    study = handle.study
    slots = _slot_storage(handle)
    if slots is not None:
        from geoarena.core.sweep_rdb import NoTrialSlot

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
        from geoarena.core.sweep_rdb import TRIAL_SLOT_ATTR

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

    from geoarena.core.sweep_storage import give_slot_back, will_retry

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


def run_sweep(
    handle: SweepHandle, tracker: Any = None, *, seeds: tuple[int, ...] | None = None, **kw: Any
) -> tuple[WorkerReport, Any]:
    """One process: search, then (when ``seeds``) the final seed runs of the best config."""
    report = run_worker(handle, tracker, **kw)
    final = None
    if seeds:
        from geoarena.core.sweep_final import run_final

        final = run_final(handle, tracker, seeds=seeds)
    return report, final


def describe(handle: SweepHandle) -> str:
    """One line: study, storage kind, trials by state."""
    counts = study_counts(handle.study)
    return (
        f"study {handle.config.study!r} on {storage_kind(handle.config.storage)} "
        f"({redact(handle.config.storage) or 'optuna.journal'}): "
        + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
