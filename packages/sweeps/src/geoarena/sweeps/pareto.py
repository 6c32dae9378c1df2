"""The Pareto front of a multi-objective study (e.g. validation metric vs inference latency) and
the one trade-off point the final stage re-runs.

Trade-off rules (``SweepConfig.tradeoff``, ``tools/sweep.py --tradeoff``):

- ``knee`` (default): every objective is min-max scaled over the front to [0, 1] with 0 its best
  value, and the trial closest (Euclidean) to the utopia point (0, …, 0) wins; ties go to the
  better first objective. It balances the objectives without a user-chosen weight and does not
  depend on their units (ms vs mIoU).
- ``first``: the front trial best on the first objective (the metric), i.e. the winner a
  single-objective study would pick; cost only decides between trials tied on the metric.

The front is logged to the study's MLflow parent run (``pareto_front.json`` / ``.md``) and its
trials' child runs are tagged ``sweep.pareto_front=true``.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from geoarena.core.errors import ConfigError

log = logging.getLogger(__name__)

TRADEOFFS = ("knee", "first")


def dominates(a: list[float], b: list[float], directions: tuple[str, ...]) -> bool:
    """``a`` is at least as good as ``b`` on every objective and better on one."""
    sign = [1.0 if d == "maximize" else -1.0 for d in directions]
    ge = all(s * x >= s * y for s, x, y in zip(sign, a, b))
    return ge and any(s * x > s * y for s, x, y in zip(sign, a, b))


def non_dominated(trials: list[Any], directions: tuple[str, ...]) -> list[Any]:
    """The trials no other trial of ``trials`` dominates (values: ``trial.values``)."""
    return [t for t in trials if not any(dominates(o.values, t.values, directions) for o in trials)]


def pick_tradeoff(front: list[Any], directions: tuple[str, ...], rule: str = "knee") -> Any:
    """The trade-off trial of ``front`` under ``rule`` (see module docstring)."""
    if not front:
        raise ValueError("empty Pareto front")
    sign0 = 1.0 if directions[0] == "maximize" else -1.0
    if rule == "first":
        # on the front, a tie on the metric means the cheaper trial is the only one left
        return max(front, key=lambda t: (sign0 * t.values[0], -t.number))
    if rule != "knee":
        raise ConfigError(f"tradeoff {rule!r}: use one of {', '.join(TRADEOFFS)}")

    def gap(t: Any) -> float:
        total = 0.0
        for i, d in enumerate(directions):
            col = [f.values[i] for f in front]
            lo, hi = min(col), max(col)
            if hi == lo:
                continue  # every front trial ties here: this objective cannot separate them
            best = hi if d == "maximize" else lo
            total += (abs(t.values[i] - best) / (hi - lo)) ** 2
        return math.sqrt(total)

    return min(front, key=lambda t: (gap(t), -sign0 * t.values[0], t.number))


def front_rows(handle: Any) -> list[dict[str, Any]]:
    """One row per Pareto-front trial (Optuna's ``study.best_trials``), best first objective
    first: trial number, objective values by name, parameters, MLflow run id."""
    sign0 = 1.0 if handle.directions[0] == "maximize" else -1.0
    front = sorted(handle.study.best_trials, key=lambda t: -sign0 * t.values[0])
    return [
        {
            "trial": t.number,
            **{m: float(v) for m, v in zip(handle.metrics, t.values)},
            "params": dict(t.params),
            "mlflow_run_id": t.user_attrs.get("mlflow_run_id", ""),
        }
        for t in front
    ]


def front_markdown(rows: list[dict[str, Any]], metrics: tuple[str, ...], chosen: int | None) -> str:
    """The front as a Markdown table; the trade-off trial is marked."""
    lines = [
        f"| trial | {' | '.join(metrics)} | parameters | |",
        f"|---|{'---|' * len(metrics)}---|---|",
    ]
    for r in rows:
        values = " | ".join(f"{r[m]:.6g}" for m in metrics)
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r["params"].items()
        )
        mark = "trade-off" if r["trial"] == chosen else ""
        lines.append(f"| {r['trial']} | {values} | {params} | {mark} |")
    return "\n".join(lines) + "\n"


def log_front(handle: Any, tracker: Any, chosen: int | None = None) -> list[dict[str, Any]]:
    """Log the study's Pareto front to its MLflow parent run and tag the front's child runs;
    returns the rows (also when there is no tracker)."""
    from geoarena.sweeps.study import PARENT_ATTR

    rows = front_rows(handle)
    parent = handle.study.user_attrs.get(PARENT_ATTR)
    if tracker is None or not parent:
        return rows
    try:
        doc = {"metrics": list(handle.metrics), "directions": list(handle.directions)}
        tracker.log_text(
            parent,
            json.dumps({**doc, "chosen": chosen, "front": rows}, indent=2),
            "pareto_front.json",
        )
        tracker.log_text(parent, front_markdown(rows, handle.metrics, chosen), "pareto_front.md")
        tracker.log_metrics(parent, {"pareto/size": float(len(rows))})
        for r in rows:
            if r["mlflow_run_id"]:
                tracker.set_tags(r["mlflow_run_id"], {"sweep.pareto_front": "true"})
        tracker.flush(parent)
    except Exception as exc:  # tracking trouble must not lose the sweep's result
        log.warning("could not log the Pareto front to parent run %s: %s", parent, exc)
    return rows
