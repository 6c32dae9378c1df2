"""One Optuna trial = one harness run: sample the config, run it with pruning, record the outcome.

The objective reads ``val/<metric>`` only — the test split is never optimised. Per-epoch
validation values go to ``trial.report``; when the pruner says so the epoch hook raises
``geoarena.core.errors.Pruned`` and the trial ends PRUNED in Optuna and in MLflow (run status
KILLED plus tag ``optuna.state=PRUNED``; MLflow has no PRUNED status).
"""

from __future__ import annotations

import logging
import math
import traceback
from dataclasses import dataclass, field
from typing import Any

from geoarena.core.config import RunConfig
from geoarena.core.errors import ConfigError, Pruned
from geoarena.sweeps.experiment import Experiment

log = logging.getLogger(__name__)

#: MLflow run status for each final Optuna state.
MLFLOW_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


@dataclass
class TrialOutcome:
    """What became of one trial: Optuna state name, objective values, MLflow run, error text."""

    state: str
    values: list[float] | None = None
    run_id: str | None = None
    error: str | None = None
    test: dict[str, float] = field(default_factory=dict)
    #: the run id is already in the trial's user attrs (written when the run started)
    run_id_recorded: bool = False


def resolve_metrics(metrics: tuple[str, ...], cfg: RunConfig) -> tuple[str, ...]:
    """``val/auto`` (alias ``metric``) → ``val/<the task's primary metric>``; ``latency`` →
    ``latency_ms``; every objective must be a validation metric or a run property (``params``,
    ``duration_s``, ``latency_ms``), never ``test/…``."""
    out = []
    for m in metrics:
        m = OBJECTIVE_ALIASES.get(m, (m, ""))[0]
        if m.startswith("test/"):
            raise ConfigError(
                f"objective {m!r}: sweeps optimise validation metrics, never test ones"
            )
        if m == "val/auto":
            from geoarena.core.registry import TASKS

            m = f"val/{TASKS.get(cfg.task).metric}"
        out.append(m)
    return tuple(out)


def resolve_directions(
    directions: tuple[str, ...], metrics: tuple[str, ...], cfg: RunConfig
) -> tuple[str, ...]:
    """``auto`` direction → the task's direction for a metric, ``minimize`` for a cost."""
    if len(directions) != len(metrics):
        raise ConfigError(
            f"{len(metrics)} objectives {metrics} but {len(directions)} directions {directions}"
        )
    out = []
    for m, d in zip(metrics, directions):
        if d == "auto" and (m in RUN_PROPERTIES or m in LATENCY_OBJECTIVES):
            d = "minimize"  # a cost: smaller models, shorter runs, faster inference
        elif d == "auto":
            from geoarena.core.registry import TASKS

            d = TASKS.get(cfg.task).direction
        if d not in ("maximize", "minimize"):
            raise ConfigError(f"direction {d!r}: use maximize, minimize or auto")
        out.append(d)
    return tuple(out)


def objective_value(result: Any, metric: str) -> float:
    """One objective value from a run result: ``val/<m>`` from ``result.val``; ``params`` (model
    size) and ``duration_s`` (run time) from the result's fields."""
    val = getattr(result, "val", None) or {}
    if metric in val:
        return float(val[metric])
    if metric in RUN_PROPERTIES and hasattr(result, RUN_PROPERTIES[metric]):
        return float(getattr(result, RUN_PROPERTIES[metric]))
    if metric in LATENCY_OBJECTIVES:
        latency = getattr(result, "latency", None) or {}
        if LATENCY_OBJECTIVES[metric] in latency:
            return float(latency[LATENCY_OBJECTIVES[metric]])
        raise KeyError(
            f"run result has no {LATENCY_OBJECTIVES[metric]!r} (the runner measures it on the test "
            f"split; this run's latency figures: {sorted(latency)})"
        )
    raise KeyError(
        f"run result has no objective {metric!r} (val keys: {sorted(val)}; run properties: "
        f"{sorted(RUN_PROPERTIES) + sorted(LATENCY_OBJECTIVES)})"
    )


#: objective names that are run properties, not validation metrics (multi-objective studies)
RUN_PROPERTIES = {"params": "n_params", "n_params": "n_params", "duration_s": "duration_s"}
#: latency objectives → the key in ``RunResult.latency``: the runner's test-split inference time
#: per sample (``core.model.latency_metrics``, the figure results.csv shows), read, not re-measured
LATENCY_OBJECTIVES = {
    "latency_ms": "latency/ms_per_sample",
    "latency/ms_per_sample": "latency/ms_per_sample",
}
#: short objective names (``tools/sweep.py --objectives metric,latency``) → (objective, direction)
OBJECTIVE_ALIASES = {
    "metric": ("val/auto", "auto"),
    "latency": ("latency_ms", "minimize"),
    "params": ("params", "minimize"),
    "duration": ("duration_s", "minimize"),
}


def parse_objectives(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``"metric,latency"`` → objectives ``("val/auto", "latency_ms")`` and directions
    ``("auto", "minimize")``. Items are the short names of ``OBJECTIVE_ALIASES`` or ``val/<m>``
    (direction ``auto``: the task's); costs (``latency_ms``, ``params``, ``duration_s``) minimise.
    ``name:maximize`` / ``name:minimize`` sets a direction explicitly."""
    metrics, directions = [], []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        item, _, given = item.partition(":")
        if given and given not in ("maximize", "minimize"):
            raise ConfigError(
                f"--objectives {text!r}: direction {given!r}: use maximize or minimize"
            )
        if item in OBJECTIVE_ALIASES:
            m, d = OBJECTIVE_ALIASES[item]
        elif item.startswith("val/"):
            m, d = item, "auto"
        elif item in RUN_PROPERTIES or item in LATENCY_OBJECTIVES:
            m, d = item, "minimize"
        else:
            raise ConfigError(
                f"--objectives {text!r}: unknown objective {item!r}; use "
                f"{', '.join(OBJECTIVE_ALIASES)}, val/<metric>, {', '.join(RUN_PROPERTIES)} or latency_ms"
            )
        metrics.append(m)
        directions.append(given or d)
    if not metrics:
        raise ConfigError(
            f"--objectives {text!r}: name at least one objective, e.g. metric,latency"
        )
    if len(set(metrics)) != len(metrics):
        raise ConfigError(f"--objectives {text!r}: an objective is named twice")
    return tuple(metrics), tuple(directions)


class RunIdCapture:
    """Delegates to a tracker and remembers the first run it opened: the runner re-raises
    ``Pruned`` without a result, and the sweep still has to tag that run."""

    def __init__(self, tracker: Any, on_start: Any = None):
        self._tracker = tracker
        self._on_start = on_start
        self.first_run_id: str | None = None

    def start_run(self, *args: Any, **kwargs: Any) -> str:
        rid = self._tracker.start_run(*args, **kwargs)
        if self.first_run_id is None:
            self.first_run_id = rid
            if self._on_start is not None:
                self._on_start(rid)
        return rid

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)


def _status(result: Any) -> str:
    return str(getattr(result, "status", "") or "").upper()


class TrialObjective:
    """Runs one trial of ``experiment`` (see module docstring).

    Args:
        experiment: the experiment (config, space, run function).
        metrics, directions: resolved objectives (first one is reported for pruning).
        study_name: for the ``optuna.study`` tag.
        tracker, parent_id: where the trial's child run goes (``None``: no tracking).
        prune: report intermediate values and obey the pruner (single-objective only).
    """

    def __init__(
        self,
        experiment: Experiment,
        metrics: tuple[str, ...],
        directions: tuple[str, ...],
        study_name: str,
        tracker: Any = None,
        parent_id: str | None = None,
        prune: bool = True,
        base_cfg: RunConfig | None = None,
        worker: str = "",
    ):
        self.experiment = experiment
        self.metrics = metrics
        self.directions = directions
        self.study_name = study_name
        self.tracker = tracker
        self.parent_id = parent_id
        self.prune = prune and len(metrics) == 1
        self.base_cfg = base_cfg if base_cfg is not None else experiment.base_config()
        self.worker = worker

    def tags(self, trial: Any) -> dict[str, str]:
        tags = {
            "optuna.study": self.study_name,
            "optuna.trial": str(trial.number),
            "sweep.stage": "search",
        }
        # Optuna 5 keeps system attrs off ``Trial``; its cached frozen copy (read when the trial
        # was created) has them without another round trip to the storage
        retried = trial._cached_frozen_trial.system_attrs.get("failed_trial")
        if retried is not None:
            tags["optuna.retry_of"] = str(retried)
        return tags

    def __call__(self, trial: Any) -> TrialOutcome:
        primary = self.metrics[0]
        reported: dict[int, float] = {}

        def on_epoch(epoch: int, metrics: dict[str, float]) -> None:
            if not self.prune or primary not in metrics:
                return
            value = float(metrics[primary])
            if math.isnan(value):
                return
            trial.report(value, step=epoch)
            reported[epoch] = value
            if trial.should_prune():
                raise Pruned(
                    f"trial {trial.number} pruned at epoch {epoch} ({primary}={value:.4g})"
                )

        try:
            cfg = self.experiment.sample(trial, self.base_cfg)
        except Exception as exc:  # a broken space() is a failed trial, with its reason recorded
            return TrialOutcome("FAIL", error=f"space() failed: {type(exc).__name__}: {exc}")
        run = self.experiment.run()
        # the run id goes into the trial at once: if this worker dies, whoever fails the stale
        # trial can close its MLflow run as FAILED
        tracker = (
            RunIdCapture(self.tracker, lambda rid: self._started(trial, rid))
            if self.tracker is not None
            else None
        )
        try:
            result = run(
                cfg,
                tracker=tracker,
                parent_id=self.parent_id,
                on_epoch=on_epoch,
                tags=self.tags(trial),
            )
        except Pruned as exc:  # the runner logs the pruned run, ends it KILLED and re-raises
            outcome = TrialOutcome(
                "PRUNED", run_id=tracker and tracker.first_run_id, error=str(exc)
            )
        except Exception as exc:
            outcome = TrialOutcome(
                "FAIL",
                run_id=tracker and tracker.first_run_id,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
            )
        else:
            outcome = self._outcome(result)
        outcome.run_id_recorded = outcome.run_id is not None and outcome.run_id == (
            tracker and tracker.first_run_id
        )
        self._record(trial, outcome, reported)
        return outcome

    def _started(self, trial: Any, run_id: str) -> None:
        trial.set_user_attr("mlflow_run_id", run_id)
        # on PostgreSQL the claim already wrote it, with the trial's first heartbeat
        if self.worker and trial._cached_frozen_trial.user_attrs.get("worker") != self.worker:
            trial.set_user_attr("worker", self.worker)

    def _outcome(self, result: Any) -> TrialOutcome:
        run_id = getattr(result, "run_id", None)
        status = _status(result)
        test = dict(getattr(result, "test", None) or {})
        if status == "PRUNED":
            return TrialOutcome("PRUNED", run_id=run_id, error=getattr(result, "error", None))
        if status in ("FAILED", "FAIL", "ERROR"):
            return TrialOutcome(
                "FAIL", run_id=run_id, error=str(getattr(result, "error", "") or "run failed")
            )
        try:
            values = [objective_value(result, m) for m in self.metrics]
        except KeyError as exc:
            return TrialOutcome("FAIL", run_id=run_id, error=str(exc))
        if any(math.isnan(v) or math.isinf(v) for v in values):
            return TrialOutcome("FAIL", run_id=run_id, error=f"objective not finite: {values}")
        return TrialOutcome("COMPLETE", values=values, run_id=run_id, test=test)

    def _record(self, trial: Any, outcome: TrialOutcome, reported: dict[int, float]) -> None:
        """Trial params, intermediate values and final state on the trial's MLflow child run."""
        if self.tracker is None or outcome.run_id is None:
            return
        rid = outcome.run_id
        params = {f"trial.{k}": v for k, v in trial.params.items()}
        tags = {"optuna.state": outcome.state}
        if outcome.values is not None:
            tags["optuna.values"] = ",".join(f"{v:.6g}" for v in outcome.values)
            # every objective as a metric of the child run, under the study's names (the runner
            # logged them too, under its own: val/<m>, latency/ms_per_sample)
            self.tracker.log_metrics(
                rid, {f"objective/{m}": v for m, v in zip(self.metrics, outcome.values)}
            )
        self.tracker.log_params(rid, params)
        for step, value in sorted(reported.items()):
            self.tracker.log_metrics(rid, {"optuna/intermediate": value}, step=step)
        self.tracker.set_tags(rid, tags)
        if outcome.state == "FAIL":
            # e.g. the run finished but its objective is missing: Optuna says FAIL, so does MLflow
            self.tracker.end_run(rid, MLFLOW_STATUS["FAIL"])
        else:
            # the runner already closed the run FINISHED (complete) or KILLED (pruned)
            self.tracker.flush(rid)
