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
  held across workers: ``geoarena.sweeps.rdb``), elsewhere it claims under the study lock, so
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

import logging
import os
import socket
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from geoarena.core.config import RunConfig, SweepConfig
from geoarena.core.errors import ConfigError, GeoArenaError
from geoarena.sweeps.experiment import Experiment
from geoarena.sweeps.objective import (
    resolve_directions,
    resolve_metrics,
)
from geoarena.sweeps.storage import (
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
    # stored and compared without its password: study attrs are shown by optuna-dashboard
    uri = redact(str(getattr(tracker, "tracking_uri", "memory")))
    study = handle.study
    with handle.lock:
        attrs = study.user_attrs
        if PARENT_ATTR in attrs:
            if redact(attrs.get(TRACKING_ATTR, "")) != uri:
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
    from geoarena.sweeps.storage import StaleTrialCallback

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


def study_counts(study: Any) -> Counter[str]:
    """Trials of ``study`` by state name."""
    return Counter(t.state.name for t in study.get_trials(deepcopy=False))


def describe(handle: SweepHandle) -> str:
    """One line: study, storage kind, trials by state."""
    counts = study_counts(handle.study)
    return (
        f"study {handle.config.study!r} on {storage_kind(handle.config.storage)} "
        f"({redact(handle.config.storage) or 'optuna.journal'}): "
        + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
