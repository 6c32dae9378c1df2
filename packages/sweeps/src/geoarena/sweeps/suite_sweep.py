"""A benchmark suite run as a sweep: N workers share the suite's cells through one study.

Each cell becomes one queued (WAITING) trial with the fixed parameter ``cell`` — enqueued exactly
once, by the first worker, under the study lock. Workers only pop queued trials (popping is
atomic in every Optuna storage), so each cell runs once; a cell whose worker died is failed by
heartbeat and re-queued like any trial. The study's objective is each cell's primary validation
metric (bookkeeping only: nothing is optimised), the test metrics land in the trial's user attrs
and the cell's MLflow run is a child of the study's parent run.
"""

from __future__ import annotations

from typing import Any

from geoarena.core.config import RunConfig, SweepConfig
from geoarena.core.errors import ConfigError
from geoarena.sweeps.experiment import Experiment
from geoarena.sweeps.storage import StorageOptions
from geoarena.sweeps.study import SweepHandle, open_sweep

CELLS_ATTR = "geoarena.suite_cells"


def suite_experiment(name: str, cells: list[RunConfig], suite_id: str) -> Experiment:
    """An :class:`Experiment` whose trial ``i`` is cell ``i`` of ``cells``."""
    if not cells:
        raise ConfigError(f"suite {name!r} selects no cells")

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
        metrics=("val/primary",),
        directions=("maximize",),
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
) -> SweepHandle:
    """Open (or join) the study of ``cells`` and enqueue them once."""
    from geoarena.core.suite import suite_hash

    exp = suite_experiment(suite, cells, suite_hash(cells))
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
    """One row per cell: state, validation value, test metrics, MLflow run id."""
    rows = []
    for t in handle.study.get_trials(deepcopy=False):
        if "cell" not in t.params:
            continue
        rows.append(
            {
                "cell": t.params["cell"],
                "name": t.user_attrs.get("cell_name", ""),
                "state": t.state.name,
                "val": t.value if t.values else None,
                **t.user_attrs.get("test", {}),
                "mlflow_run_id": t.user_attrs.get("mlflow_run_id", ""),
                "trial": t.number,
            }
        )
    return sorted(rows, key=lambda r: (r["cell"], r["trial"]))
