"""Latency and throughput of a cell (core runner hook) reach the results table and the report;
a failing export is recorded without failing the cell."""

from __future__ import annotations

import pytest

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.registry import MODELS
from geoarena.core.runner import run
from geoarena.core.tracking import NullTracker
from geoarena.train.testing import ToyMLPAdapter, register_toys


class _BadExport(ToyMLPAdapter):
    throughput_unit = "blob"

    def export(self, out_dir):
        raise RuntimeError("no exporter for toys")


@pytest.fixture(scope="module")
def toys():
    register_toys()
    if "test/mlp-bad-export" not in MODELS:
        MODELS.register("test/mlp-bad-export", kinds=("cls",))(_BadExport)
    yield
    MODELS.remove("test/mlp-bad-export")


def _cell(model: str) -> RunConfig:
    return RunConfig(
        task="test/blobs", model=model, suite="lat", train=TrainConfig(epochs=1, batch_size=16)
    )


def test_latency_metrics_reach_the_results_table_and_the_report(toys):
    import pandas as pd

    from geoarena.results.report_data import ReportConfig, build_report
    from geoarena.results.report_tables import inference_cost, per_task_table
    from geoarena.results.table import row_from_run

    tracker = NullTracker()
    res = run(_cell("test/mlp"), tracker)
    assert res.status == "FINISHED"
    m = {k: v[-1][1] for k, v in tracker.runs[res.run_id].metrics.items()}
    # the RunResult carries the same figures (a multi-objective sweep's second objective)
    assert res.latency == {k: m[k] for k in res.latency} and len(res.latency) == 3
    n_test = 60  # 240 blobs, the last quarter is the test split
    assert m["latency/batch_size"] == pytest.approx(n_test / 4)  # batches of 16,16,16,12
    assert m["latency/ms_per_sample"] > 0
    # throughput counts the same predict calls: units/s = 1000 / (ms per sample) for samples
    assert m["throughput/samples_per_s"] == pytest.approx(1000 / m["latency/ms_per_sample"])
    tags = tracker.runs[res.run_id].tags
    assert tags["latency_device"] == "cpu" and tags["model_export"] == "none"
    (record,) = tracker.find_runs({"suite": "lat"})
    row = row_from_run(record)
    assert row["latency_ms"] == m["latency/ms_per_sample"]
    assert (row["throughput_unit"], row["latency_batch_size"]) == ("sample", 15.0)
    report = build_report(pd.DataFrame([row, {**row, "seed": 1}]), ReportConfig())
    cost = inference_cost(report)
    (text,) = cost.values()
    assert text.startswith(f"{row['latency_ms']:.3g} ms/sample") and "(batch 15, cpu)" in text
    assert per_task_table(report)["inference"].tolist() == [text]


def test_a_failing_export_is_tagged_and_the_cell_still_finishes(toys):
    tracker = NullTracker()
    res = run(_cell("test/mlp-bad-export"), tracker)
    assert res.status == "FINISHED" and res.test
    run_ = tracker.runs[res.run_id]
    assert run_.tags["model_export"] == "failed: RuntimeError: no exporter for toys"
    assert "model_export_error.txt" in run_.artifacts
    assert "throughput/blobs_per_s" in run_.metrics
