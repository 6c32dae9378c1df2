"""MLflow Model Registry helpers: register each task's best cell of a suite under an alias.

The best cell is chosen on the *validation* score (``best_val/<primary metric>``; the test
split is for reporting, not for choosing), among FINISHED cells whose model was logged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geoarena.core.errors import ConfigError


@dataclass(frozen=True)
class Registered:
    """One registered model version: ``models:/{name}@{alias}``."""

    name: str
    version: str
    alias: str
    run_id: str
    task: str
    model: str
    val_score: float

    @property
    def uri(self) -> str:
        return f"models:/{self.name}@{self.alias}"


def registered_name(prefix: str, task: str) -> str:
    """``prefix`` + task with ``/`` replaced (registry names end up in ``models:/`` URIs)."""
    return f"{prefix}-{task.replace('/', '-')}"


def best_cells(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """task → the run with the best validation primary metric (ties: the earlier run)."""
    best: dict[str, dict[str, Any]] = {}
    for r in sorted(runs, key=lambda r: r.get("start_time") or 0):
        tags, metrics = r["tags"], r["metrics"]
        if r["status"] != "FINISHED" or tags.get("model_export") != "logged":
            continue
        val = metrics.get(f"best_val/{tags.get('primary_metric', '')}")
        if val is None or math.isnan(val):
            continue
        sign = -1.0 if tags.get("metric_direction") == "min" else 1.0
        cur = best.get(tags["task"])
        if cur is None or sign * val > sign * cur["_val"]:
            best[tags["task"]] = {**r, "_val": val}
    return best


def register_best(
    client: Any,
    runs: list[dict[str, Any]],
    prefix: str,
    alias: str = "champion",
    tasks: set[str] | None = None,
) -> list[Registered]:
    """Register the best cell of each task among ``runs`` (dicts as ``Tracker.find_runs``
    returns) as a new version of ``<prefix>-<task>`` and point ``alias`` at it."""
    from mlflow.exceptions import MlflowException

    chosen = best_cells(runs)
    if tasks is not None:
        chosen = {t: r for t, r in chosen.items() if t in tasks}
    if not chosen:
        raise ConfigError("no FINISHED cell with a logged model to register")
    out = []
    for task, r in sorted(chosen.items()):
        name = registered_name(prefix, task)
        try:
            client.create_registered_model(name, description=f"GeoArena best cell of {task}")
        except MlflowException as exc:
            if "RESOURCE_ALREADY_EXISTS" not in str(exc.error_code):
                raise
        run = client.get_run(r["run_id"])
        mv = client.create_model_version(
            name,
            source=f"{run.info.artifact_uri}/model",
            run_id=r["run_id"],
            tags={"task": task, "model": r["tags"].get("model", "")},
        )
        client.set_registered_model_alias(name, alias, mv.version)
        out.append(
            Registered(
                name,
                str(mv.version),
                alias,
                r["run_id"],
                task,
                r["tags"].get("model", ""),
                r["_val"],
            )
        )
    return out
