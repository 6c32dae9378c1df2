"""A benchmark suite run as a sweep: N workers share the suite's cells through one study.

Each cell becomes one queued (WAITING) trial with the fixed parameter ``cell`` — enqueued exactly
once, by the first worker, under the study lock. Workers only pop queued trials (popping is
atomic in every Optuna storage), so each cell runs once; a cell whose worker died is failed by
heartbeat and re-queued like any trial. The study's objective is each cell's primary validation
metric (bookkeeping only: nothing is optimised), the test metrics land in the trial's user attrs
and the cell's MLflow run is a child of the study's parent run.

``objectives=("metric", "latency")`` (``tools/sweep.py --suite NAME --objectives metric,latency``)
makes it a two-objective study: each cell's validation metric and its test-split inference
latency (``latency_ms``, as results.csv shows it); ``suite_table`` then marks the cells on each
task's accuracy/latency Pareto front (metrics of different tasks are not comparable, so the front
is taken per task, in the task's direction).
"""

from __future__ import annotations

from typing import Any

from geoarena.core.config import RunConfig, SweepConfig
from geoarena.core.errors import ConfigError
from geoarena.sweeps.experiment import Experiment
from geoarena.sweeps.storage import StorageOptions
from geoarena.sweeps.study import SweepHandle, open_sweep

CELLS_ATTR = "geoarena.suite_cells"


def suite_objectives(objectives: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Objective names (``metric``, ``latency``, …) → the suite study's objectives and
    directions; ``metric`` is each cell's primary validation metric (``val/primary``)."""
    from geoarena.sweeps.objective import parse_objectives

    metrics, directions = parse_objectives(",".join(objectives))
    if metrics[0] != "val/auto" or any(m.startswith("val/") for m in metrics[1:]):
        raise ConfigError(
            f"suite objectives {','.join(objectives)!r}: the first must be 'metric' (each cell's "
            "own primary metric) and the others costs (latency, params, duration)"
        )
    return ("val/primary", *metrics[1:]), ("maximize", *directions[1:])


def suite_experiment(
    name: str, cells: list[RunConfig], suite_id: str, objectives: tuple[str, ...] = ("metric",)
) -> Experiment:
    """An :class:`Experiment` whose trial ``i`` is cell ``i`` of ``cells``."""
    if not cells:
        raise ConfigError(f"suite {name!r} selects no cells")
    metrics, directions = suite_objectives(objectives)

    def config() -> RunConfig:
        return cells[0]

    def space(trial: Any, cfg: RunConfig) -> RunConfig:
        return cells[trial.suggest_int("cell", 0, len(cells) - 1)]

    def run(
        cfg: RunConfig,
        tracker: Any = None,
        parent_id: str | None = None,
        on_epoch: Any = None,
        tags: dict[str, str] | None = None,
    ) -> Any:
        from geoarena.core.registry import TASKS
        from geoarena.core.runner import run as run_cell

        result = run_cell(
            cfg,
            tracker=tracker,
            parent_id=parent_id,
            on_epoch=None,
            tags={**(tags or {}), "sweep.stage": "suite"},
        )
        key = f"val/{TASKS.get(cfg.task).metric}" if cfg.task in TASKS else None
        if key and key in result.val:
            result.val["val/primary"] = result.val[key]
        return result

    sweep = SweepConfig(
        metrics=metrics,
        directions=directions,
        sampler="random",
        pruner="none",
        n_trials=len(cells),
    )
    # the cell list is part of the name: a study started for another selection of cells clashes
    return Experiment(
        name=f"suite:{name}:{suite_id}",
        path=None,
        config=config,
        space=space,
        sweep=sweep,
        run_fn=run,
    )


def open_suite_sweep(
    suite: str,
    cells: list[RunConfig],
    study: str,
    storage: str,
    options: StorageOptions | None = None,
    timeout_s: float = 0.0,
    objectives: tuple[str, ...] = ("metric",),
) -> SweepHandle:
    """Open (or join) the study of ``cells`` and enqueue them once (``objectives``: see the
    module docstring; a study opened with other objectives is refused as a name clash)."""
    from geoarena.core.suite import suite_hash

    exp = suite_experiment(suite, cells, suite_hash(cells), objectives)
    cfg = SweepConfig(
        study=study,
        storage=storage,
        n_trials=len(cells),
        metrics=exp.sweep.metrics,
        directions=exp.sweep.directions,
        sampler="random",
        pruner="none",
        timeout_s=timeout_s,
    )
    if options is not None:
        cfg.heartbeat_s, cfg.max_retries = options.heartbeat_s, options.max_retries
    handle = open_sweep(exp, cfg, options)
    with handle.lock:
        if CELLS_ATTR not in handle.study.user_attrs:
            for i in range(len(cells)):
                handle.study.enqueue_trial(
                    {"cell": i}, user_attrs={"cell_name": _cell_name(cells[i])}
                )
            handle.study.set_user_attr(CELLS_ATTR, len(cells))
    return handle


def _cell_name(cfg: RunConfig) -> str:
    return f"{cfg.task}|{cfg.model}|{cfg.protocol}|lf{cfg.label_fraction}|s{cfg.seed}"


def suite_table(handle: SweepHandle) -> list[dict[str, Any]]:
    """One row per cell: state, validation value (and the other objectives, with ``pareto``:
    on its task's front), test metrics, MLflow run id."""
    rows = []
    trials = [t for t in handle.study.get_trials(deepcopy=False) if "cell" in t.params]
    fronts = _task_fronts(handle, trials) if len(handle.metrics) > 1 else None
    for t in trials:
        extra = {}
        if fronts is not None:
            values = t.values or [None] * len(handle.metrics)
            extra = {m: v for m, v in zip(handle.metrics[1:], values[1:])}
            extra["pareto"] = t.number in fronts
        rows.append(
            {
                "cell": t.params["cell"],
                "name": t.user_attrs.get("cell_name", ""),
                "state": t.state.name,
                "val": t.values[0] if t.values else None,
                **extra,
                **t.user_attrs.get("test", {}),
                "mlflow_run_id": t.user_attrs.get("mlflow_run_id", ""),
                "trial": t.number,
            }
        )
    return sorted(rows, key=lambda r: (r["cell"], r["trial"]))


def _task_fronts(handle: SweepHandle, trials: list[Any]) -> set[int]:
    """Numbers of the COMPLETE trials on their task's Pareto front (the task's own direction
    for the metric: ``val/primary`` is recorded as maximised for every task)."""
    from geoarena.core.registry import TASKS
    from geoarena.sweeps.pareto import non_dominated

    by_task: dict[str, list[Any]] = {}
    for t in trials:
        if t.state.name == "COMPLETE":
            by_task.setdefault(t.user_attrs.get("cell_name", "").split("|")[0], []).append(t)
    out: set[int] = set()
    for task, group in by_task.items():
        first = TASKS.get(task).direction if task in TASKS else "maximize"
        out |= {t.number for t in non_dominated(group, (first, *handle.directions[1:]))}
    return out
