"""Reports from a small table of real GEO-Bench-2 runs (two backbones × two datasets × 5 seeds)."""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from geoarena.results.aggregate import Normalizer
from geoarena.results.published import LEADERBOARD_DIR
from geoarena.results.report import (
    ReportConfig,
    build_report,
    method_label,
    render_terminal,
    write_report,
)
from geoarena.results.schema import (
    FROM_GEOBENCH2_NAMES,
    RESULTS_COLUMNS,
    ResultsSchemaError,
    from_geobench2_submission,
    read_results_csv,
    to_geobench2_submission,
    validate_results,
    validate_submission,
)

ROOT = Path(__file__).resolve().parents[3]
LEADERBOARD = LEADERBOARD_DIR
MAIN = LEADERBOARD / "114be1f0-5a41-43a5-b4e6-7fb683bc01ec" / "results_and_parameters.csv"
BACKBONES = ["terramind_v1_large", "prithvi_eo_v2_600_tl"]
DATASETS = ["benv2", "burn_scars"]


def _require(path: Path) -> Path:
    assert path.exists(), f"shipped GEO-Bench-2 leaderboard data missing: {path}"
    return path


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    """20 real runs plus one failed cell, as a GeoArena results table."""
    sub = pd.read_csv(_require(MAIN))
    sub = sub[sub["backbone"].isin(BACKBONES) & sub["dataset"].isin(DATASETS)]
    table = from_geobench2_submission(sub).reset_index(drop=True)
    failed = table.iloc[[0]].copy()
    failed["test_metric"] = np.nan
    failed["status"] = "FAILED"
    failed["model"] = "broken_model"
    failed["error"] = "DataError: tile.tif: unknown band name 'B13'"
    return pd.concat([table, failed], ignore_index=True)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer.from_json(_require(LEADERBOARD / "normalizer.json"))


def _pooled_iqm_x100(df: pd.DataFrame, backbone: str, normalizer: Normalizer) -> str:
    rows = df[(df["backbone"] == backbone) & (df["status"] == "FINISHED")]
    vals = np.sort(normalizer.normalize_frame(rows).to_numpy())
    assert vals.size == 10  # 2 datasets × 5 seeds: the IQM keeps the middle 6 (int(2.5) = 2 cut)
    return f"{vals[2:8].mean() * 100:.1f}"


# --------------------------------------------------------------------------- schema


def test_real_submissions_pass_the_schema_and_get_harness_columns() -> None:
    for csv in sorted(_require(LEADERBOARD).glob("*/results_and_parameters.csv")):
        raw = pd.read_csv(csv)
        validate_submission(raw, csv)
        full = read_results_csv(csv)
        mapped = [FROM_GEOBENCH2_NAMES.get(c, c) for c in raw.columns]
        assert list(full.columns[: len(raw.columns)]) == mapped
        assert {"test_metric", "seed", "metric"} <= set(full.columns)
        # Exported again, the submission has the leaderboard's names, order and values exactly.
        pd.testing.assert_frame_equal(to_geobench2_submission(full), raw)
        assert set(RESULTS_COLUMNS) <= set(full.columns)
        assert (full["task"] == full["dataset"]).all() and (full["model"] == full["backbone"]).all()
        assert set(full["label_fraction"]) == {1.0}
        assert set(full["status"]) == {"FINISHED"}


def test_schema_errors_name_the_missing_columns_and_bad_values(tmp_path: Path) -> None:
    df = pd.read_csv(_require(MAIN)).drop(columns=["Seed", "backbone"])
    with pytest.raises(ResultsSchemaError, match="missing column\\(s\\) 'Seed', 'backbone'"):
        validate_submission(df)
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    with pytest.raises(ResultsSchemaError, match=f"{re.escape(str(bad))}: .*'Seed', 'backbone'"):
        read_results_csv(bad)
    ok = from_geobench2_submission(pd.read_csv(MAIN).head(3))
    ok["test_metric"] = ok["test_metric"].astype(object)
    ok.loc[1, "test_metric"] = "n/a"
    with pytest.raises(
        ResultsSchemaError, match="column 'test_metric' must be numeric; row 1 holds 'n/a'"
    ):
        validate_results(ok)
    with pytest.raises(ResultsSchemaError, match="not found"):
        read_results_csv(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- report contents


def test_report_numbers(small: pd.DataFrame, normalizer: Normalizer) -> None:
    rep = build_report(small, ReportConfig(n_bootstrap=500, seed=0), normalizer=normalizer)
    assert len(rep.finished) == 20 and len(rep.failed) == 1
    per = rep.per_task.set_index(["model", "task"])
    assert f"{per.loc[('terramind_v1_large', 'benv2'), 'mean'] * 100:.1f}" == "76.0"
    assert f"{per.loc[('prithvi_eo_v2_600_tl', 'burn_scars'), 'mean'] * 100:.1f}" == "88.8"
    assert f"{per.loc[('terramind_v1_large', 'benv2'), 'normalized_iqm'] * 100:.1f}" == "88.1"
    assert (
        f"{per.loc[('prithvi_eo_v2_600_tl', 'burn_scars'), 'normalized_iqm'] * 100:.1f}" == "95.2"
    )
    ov = rep.overall.set_index("model")
    assert set(rep.overall["group"]) == {"overall"}
    for b in BACKBONES:
        assert f"{ov.loc[b, 'iqm'] * 100:.1f}" == _pooled_iqm_x100(small, b, normalizer)
        assert ov.loc[b, "ci_low"] <= ov.loc[b, "score"] <= ov.loc[b, "ci_high"]
    # Neither benv2 nor burn_scars alone completes a GEO-Bench-2 capability group.
    assert rep.capabilities.empty


def test_write_report_files_markdown_html_and_terminal(
    tmp_path: Path, small: pd.DataFrame, normalizer
) -> None:
    console = Console(record=True, width=220)
    files = write_report(
        small,
        tmp_path / "rep",
        ReportConfig(title="Small real table", n_bootstrap=500),
        normalizer,
        console=console,
    )
    names = {f.name for f in files}
    assert {
        "report.md",
        "report.html",
        "per_task.png",
        "aggregate.png",
        "results.csv",
        "per_task.csv",
    } <= names
    assert all(f.is_file() and f.stat().st_size > 0 for f in files)

    md = (tmp_path / "rep" / "report.md").read_text()
    html = (tmp_path / "rep" / "report.html").read_text()
    term = console.export_text()
    tm_iqm = _pooled_iqm_x100(small, "terramind_v1_large", normalizer)
    pr_iqm = _pooled_iqm_x100(small, "prithvi_eo_v2_600_tl", normalizer)
    for text in (md, html, term):
        for number in ("76.0", "88.8", "88.1", "95.2", tm_iqm, pr_iqm):
            assert number in text
        assert "terramind_v1_large · full_ft" in text
    assert "Multilabel_F1_Score" in md
    # The failed cell is listed, with its error, and kept out of the statistics.
    assert "broken_model" in md and "unknown band name" in md and "broken_model" in html
    assert "1 cell(s) did not finish" in term
    # Markdown links the PNGs beside it; the HTML embeds them.
    assert "![per-task scores](per_task.png)" in md
    blobs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(blobs) == 2
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in blobs)
    assert "<img" in html and 'src="per_task.png"' not in html  # self-contained
    # The table copy keeps every row (failed included).
    assert len(pd.read_csv(tmp_path / "rep" / "results.csv")) == 21


def test_capability_tags_and_direction_from_the_table(tmp_path: Path) -> None:
    # A harness-shaped table: the runner's comma-joined capabilities and a minimised metric.
    rows = []
    for task, metric, direction, caps, scores in (
        ("eo/seg", "miou", "maximize", "pixel-wise,rgb", {"a": [0.6, 0.62], "b": [0.5, 0.52]}),
        ("eo/rmse", "rmse", "minimize", "pixel-wise", {"a": [2.0, 2.2], "b": [1.0, 1.2]}),
    ):
        for model, vals in scores.items():
            for seed, v in enumerate(vals):
                rows.append(
                    {
                        "task": task,
                        "dataset": task,
                        "metric": metric,
                        "test_metric": v,
                        "model": model,
                        "backbone": model,
                        "protocol": "finetune",
                        "label_fraction": 1.0,
                        "seed": seed,
                        "status": "FINISHED",
                        "direction": direction,
                        "capabilities": caps,
                    }
                )
    rep = build_report(pd.DataFrame(rows), ReportConfig(n_bootstrap=200))
    assert set(rep.capabilities["group"]) == {"pixel-wise", "rgb"}
    per = rep.per_task.set_index(["model", "task"])
    # rmse range [1.0, 2.2], lower is better: b's 1.0, 1.2 -> 1, 10/12; a's 2.0, 2.2 -> 2/12, 0.
    assert per.loc[("b", "eo/rmse"), "normalized_iqm"] == pytest.approx(11 / 12)
    assert per.loc[("a", "eo/rmse"), "normalized_iqm"] == pytest.approx(1 / 12)
    assert per.loc[("a", "eo/seg"), "normalized_iqm"] == pytest.approx(11 / 12)
    pix = rep.capabilities[rep.capabilities["group"] == "pixel-wise"].set_index("model")
    assert pix.loc["a", "iqm"] == pytest.approx(0.5) and pix.loc["b", "iqm"] == pytest.approx(0.5)


def test_method_label() -> None:
    assert (
        method_label(
            {"model": "m", "protocol": "linear_probe", "label_fraction": 0.1},
            ("model", "protocol", "label_fraction"),
        )
        == "m · linear_probe · 10% labels"
    )
    assert method_label({"model": "m", "label_fraction": 1.0}, ("model", "label_fraction")) == "m"


def test_terminal_only_failed_table(small: pd.DataFrame) -> None:
    console = Console(record=True, width=200)
    render_terminal(build_report(small[small["status"] != "FINISHED"]), console)
    assert "1 cell(s) did not finish" in console.export_text()


# --------------------------------------------------------------------------- CLI


def test_cli_from_csv(tmp_path: Path, small: pd.DataFrame, capsys: pytest.CaptureFixture) -> None:
    csv = tmp_path / "results.csv"
    small.to_csv(csv, index=False)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        str(ROOT / "tools" / "report.py"),
        "--csv",
        str(csv),
        "--out",
        str(out),
        "--normalizer",
        str(LEADERBOARD / "normalizer.json"),
        "--n-bootstrap",
        "200",
    ]
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert str(out / "report.html") in proc.stdout
    assert "76.0" in (out / "report.html").read_text()
    bad = tmp_path / "bad.csv"
    small.drop(columns=["lr"]).to_csv(bad, index=False)
    # The error path in-process (a second interpreter start costs more than the check).
    spec = importlib.util.spec_from_file_location("report_cli", ROOT / "tools" / "report.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main(["--csv", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "missing column(s) 'lr'" in err and str(bad) in err


@pytest.mark.slow
def test_cli_from_an_mlflow_store(tmp_path: Path, small: pd.DataFrame) -> None:
    """Cells logged to a real SQLite MLflow store the way the runner tags them; the CLI reads them back."""
    from geoarena.store.mlflow_tracker import MLflowTracker

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracker = MLflowTracker(
        experiment="suite-gb2small", tracking_uri=uri, artifact_root=tmp_path / "art"
    )
    parent = tracker.start_run("suite gb2small", tags={"suite": "gb2small", "suite_parent": "true"})
    for i, row in small.iterrows():
        metric = "f1" if row["dataset"] == "benv2" else "miou"
        tags = {
            "suite": "gb2small",
            "config_hash": f"cell{i}",
            "task": f"eo/{row['dataset']}",
            "dataset": row["dataset"],
            "model": row["model"],
            "backbone": row["backbone"],
            "protocol": "finetune",
            "frozen_or_full_ft": "full_ft",
            "label_fraction": "1.0",
            "seed": str(int(row["seed"])),
            "primary_metric": metric,
            "metric_direction": "maximize",
        }
        rid = tracker.start_run(f"cell{i}", tags=tags, parent_id=parent)
        if row["status"] == "FINISHED":
            tracker.log_metrics(rid, {f"test/{metric}": float(row["test_metric"])})
            tracker.end_run(rid, "FINISHED")
        else:
            tracker.set_tags(rid, {"error": str(row["error"])})
            tracker.end_run(rid, "FAILED")
    tracker.end_run(parent, "FINISHED")

    out = tmp_path / "out"
    cmd = [
        sys.executable,
        str(ROOT / "tools" / "report.py"),
        "--tracking-uri",
        uri,
        "--suite",
        "gb2small",
        "--out",
        str(out),
        "--n-bootstrap",
        "200",
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"}
    )
    assert proc.returncode == 0, proc.stderr
    md = (out / "report.md").read_text()
    assert "Runs: 20 finished, 1 not finished; 2 tasks." in md
    assert "76.0" in md and "88.8" in md and "unknown band name" in md
    assert "eo/benv2" in md and "terramind_v1_large · finetune" in md
    proc = subprocess.run(
        [*cmd[:5], "nosuchsuite", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2 and "already holds report.md" in proc.stderr  # kept
    proc = subprocess.run(
        [*cmd[:5], "nosuchsuite", "--out", str(out), "--overwrite"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "no cells of suite 'nosuchsuite'" in proc.stderr


def test_report_groups_equal_the_leaderboard_computation(normalizer: Normalizer) -> None:
    # With the leaderboard's bootstrap settings, the report's capability scores on a GEO-Bench-2
    # submission are the leaderboard's (method = model · protocol · label fraction = backbone here).
    from geoarena.results.aggregate import GEOBENCH2_CAPABILITY_GROUPS, aggregate_groups

    sub = pd.read_csv(_require(MAIN))
    sub = sub[sub["backbone"].isin(["terramind_v1_large", "clay_v1_base", "resnet50"])]
    rep = build_report(
        from_geobench2_submission(sub), ReportConfig(n_bootstrap=100, seed=100), normalizer
    )
    ref = aggregate_groups(
        from_geobench2_submission(sub),
        GEOBENCH2_CAPABILITY_GROUPS,
        normalizer=normalizer,
        n_bootstrap=100,
        seed=100,
    )
    got = rep.capabilities.set_index(["model", "group"]).sort_index()
    ref = ref.set_index(["backbone", "group"]).sort_index()
    assert len(got) == len(ref) == 27
    np.testing.assert_allclose(got["score"].to_numpy(), ref["score"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        got["ci_low"].to_numpy(), ref["ci_low"].to_numpy(), rtol=0, atol=1e-12
    )
