"""The results table: one row per FINISHED cell, built from the tracking store.

Columns follow the GEO-Bench-2 submission format under GeoArena's snake_case names
(``dataset, metric, test_metric, mlflow_run_id, seed, backbone, …``; see
:mod:`geoarena.results.schema` for the mapping to the leaderboard's names) plus GeoArena's
provenance columns.
"""

from __future__ import annotations

from typing import Any

from geoarena.core.tracking import Tracker
from geoarena.results.schema import (
    GEOBENCH2_COLUMNS,
    RESULTS_COLUMNS,
    SUBMISSION_COLUMNS,
    validate_results,
)

__all__ = ["COLUMNS", "GEOBENCH2_COLUMNS", "SUBMISSION_COLUMNS", "results_table", "row_from_run"]

#: Columns the harness adds after the schema's (direction and capabilities drive the report).
EXTRA_COLUMNS = (
    "direction",
    "capabilities",
    "val_metric",
    "n_params",
    "fit_s",
    # inference cost on the test split (predict calls only; see core.model.latency_metrics)
    "latency_ms",
    "throughput",
    "throughput_unit",
    "latency_batch_size",
    "latency_device",
)
COLUMNS = [*RESULTS_COLUMNS, *EXTRA_COLUMNS]


def row_from_run(r: dict[str, Any]) -> dict[str, Any]:
    """One results row from a ``Tracker.find_runs`` record of a cell run."""
    tags, params, metrics = r["tags"], r["params"], r["metrics"]
    metric = tags.get("primary_metric", "")
    lf = float(tags.get("label_fraction", params.get("label_fraction", 1.0)))
    return {
        "dataset": tags.get("dataset", tags.get("task", "").split("/", 1)[-1]),
        "metric": metric,
        "test_metric": metrics.get(f"test/{metric}"),
        "mlflow_run_id": r["run_id"],
        "seed": int(tags.get("seed", params.get("seed", 0))),
        "backbone": tags.get("backbone", tags.get("model", "")),
        "decoder": tags.get("decoder", ""),
        # eo/hpo-* cells log their search (hpo/* metrics): its size and the lr / weight decay it
        # chose, which the final run trained with instead of the config's train.lr
        "n_trials": int(metrics.get("hpo/n_trials", tags.get("n_trials", 0)) or 0),
        "early_stop_patience": _num(params.get("train.early_stop_patience")),
        "data_percentages": round(lf * 100, 4),
        "batch_size_selection": tags.get("batch_size_selection", "fixed"),
        "lr": _num(metrics.get("hpo/lr", params.get("train.lr"))),
        "weight_decay": _num(metrics.get("hpo/weight_decay", params.get("train.weight_decay"))),
        "frozen_or_full_ft": tags.get("frozen_or_full_ft", ""),
        "modality": tags.get("modality", ""),
        "protocol": tags.get("protocol", ""),
        "normalization": tags.get("normalization", ""),
        "input_unit": tags.get("input_unit", ""),
        "git_sha": tags.get("git_sha", ""),
        "task": tags.get("task", ""),
        "model": tags.get("model", ""),
        "label_fraction": lf,
        "config_hash": tags.get("config_hash", ""),
        "status": r.get("status", ""),
        "direction": tags.get("metric_direction", "maximize"),
        "capabilities": tags.get("capabilities", ""),
        "val_metric": metrics.get(f"best_val/{metric}"),
        "n_params": _num(tags.get("n_params")),
        "fit_s": metrics.get("time/fit_s"),
        **_latency(tags, metrics),
    }


def _latency(tags: dict[str, str], metrics: dict[str, float]) -> dict[str, Any]:
    """ms per sample, units per second (``throughput/<unit>s_per_s``), batch size, device."""
    unit, rate = next(
        (
            (k[11:].removesuffix("s_per_s"), v)
            for k, v in metrics.items()
            if k.startswith("throughput/")
        ),
        ("", None),
    )
    return {
        "latency_ms": metrics.get("latency/ms_per_sample"),
        "throughput": rate,
        "throughput_unit": unit,
        "latency_batch_size": metrics.get("latency/batch_size"),
        "latency_device": tags.get("latency_device", ""),
    }


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def results_table(tracker: Tracker, suite: str, include_failed: bool = False):
    """pandas DataFrame of the suite's cells (latest FINISHED run per config hash)."""
    import pandas as pd

    runs = [
        r
        for r in tracker.find_runs({"suite": suite})
        if r["tags"].get("suite_parent") != "true" and "config_hash" in r["tags"]
    ]
    latest: dict[str, dict[str, Any]] = {}
    failed: list[dict[str, Any]] = []
    for r in sorted(runs, key=lambda r: r.get("start_time") or 0):
        if r["status"] == "FINISHED":
            latest[r["tags"]["config_hash"]] = r
        elif include_failed:
            failed.append(r)
    rows = [row_from_run(r) for r in latest.values()]
    if include_failed:
        done = set(latest)
        for r in failed:
            if r["tags"]["config_hash"] not in done:
                row = row_from_run(r)
                row["error"] = r["tags"].get("error", "")
                rows.append(row)
    df = pd.DataFrame(rows, columns=[*COLUMNS, *(["error"] if include_failed else [])])
    finished = df[df["status"] == "FINISHED"]
    if len(finished):
        validate_results(finished)
    return df.sort_values(
        ["task", "model", "protocol", "label_fraction", "seed"], kind="stable"
    ).reset_index(drop=True)
