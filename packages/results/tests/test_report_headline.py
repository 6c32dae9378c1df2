"""What a reader sees: every modality in the headline, no 0/50/100 artefacts, explained columns,
log-readable tables, one column convention and each MLflow run counted once."""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from geoarena.results.report import (
    ReportConfig,
    build_report,
    capability_table,
    headline_table,
    per_task_table,
    render_html,
    render_markdown,
    render_terminal,
    write_report,
)
from geoarena.results.report_tables import capability_notes
from geoarena.results.schema import (
    GEOBENCH2_COLUMNS,
    RESULTS_COLUMNS,
    ResultsSchemaError,
    concat_results,
    drop_duplicate_runs,
    read_results_csv,
    to_geobench2_submission,
)
from geoarena.results.table import COLUMNS, row_from_run

ROOT = Path(__file__).resolve().parents[3]
NEEDS = "n/a — needs every task of the group"
LONG_MODEL = "eo/prithvi-eo-2.0-300m-tl-with-a-very-long-adapter-name"


def _rows(spec, modality_of=lambda task: task.split("/")[0]) -> pd.DataFrame:
    """spec: task → {model: [score per seed]} as a results table the runner would write."""
    rows = []
    for task, by_model in spec.items():
        for model, scores in by_model.items():
            for seed, v in enumerate(scores):
                rows.append(
                    {
                        "task": task,
                        "dataset": task.split("/")[-1],
                        "modality": modality_of(task),
                        "metric": "miou",
                        "test_metric": v,
                        "model": model,
                        "backbone": model,
                        "protocol": "finetune",
                        "label_fraction": 1.0,
                        "seed": seed,
                        "status": "FINISHED",
                        "mlflow_run_id": f"{task}-{model}-{seed}",
                    }
                )
    return pd.DataFrame(rows)


def test_two_modalities_with_one_method_each_are_flagged_not_0_50_100() -> None:
    df = _rows({"eo/a": {"m1": [0.41, 0.52, 0.63]}, "det/b": {"y": [0.2, 0.3]}})
    rep = build_report(df, ReportConfig(n_bootstrap=50))
    # Normalising over one method's own seeds would give 0, 50, 100: nothing is normalised.
    assert rep.unranked == {
        "det/b": "1 method; normalising needs ≥ 2",
        "eo/a": "1 method; normalising needs ≥ 2",
    }
    assert rep.per_task["normalized_iqm"].isna().all()
    assert rep.overall[["score", "iqm", "ci_low", "ci_high"]].isna().all().all()
    head = headline_table(rep)
    assert head.to_dict("records") == [
        {
            "group": "det",
            "method": "y · finetune",
            "tasks": "1/1",
            "score": "n/a — cannot normalise: det/b (1 method)",
            "95% CI": "—",
            "IQM": "—",
        },
        {
            "group": "eo",
            "method": "m1 · finetune",
            "tasks": "1/1",
            "score": "n/a — cannot normalise: eo/a (1 method)",
            "95% CI": "—",
            "IQM": "—",
        },
        {
            "group": "overall",
            "method": "(no method ran all 2 tasks)",
            "tasks": "1/2",
            "score": NEEDS,
            "95% CI": "—",
            "IQM": "—",
        },
    ]
    per = per_task_table(rep)
    assert per["norm. IQM"].tolist() == ["n/a (1 method)"] * 2
    assert per["mean"].tolist() == ["25.0", "52.0"]  # raw means are still shown
    md, html = render_markdown(rep), render_html(rep)
    for artefact in ("0.0", "50.0", "100.0"):
        assert f"| {artefact} |" not in md and f">{artefact}<" not in html
    for text in (md, html):
        assert "Not normalised (no normalised score, no group score): det/b" in text


def test_headline_has_every_modality_scored_or_explicitly_na() -> None:
    df = _rows(
        {
            "eo/a": {"m1": [0.50, 0.51], "m2": [0.60, 0.61]},
            "eo/b": {"m1": [0.50, 0.51], "m2": [0.60, 0.61]},
            "nlp/x": {"n1": [0.7], "n2": [0.8]},
            "nlp/y": {"n3": [0.3], "n4": [0.4]},
            "pc/p": {"r1": [0.1, 0.2], "r2": [0.3, 0.4]},
        }
    )
    rep = build_report(df, ReportConfig(n_bootstrap=200))
    assert list(rep.headline_groups) == ["overall", "modality eo", "modality nlp", "modality pc"]
    head = headline_table(rep)
    assert list(dict.fromkeys(head["group"])) == ["eo", "nlp", "pc", "overall"]
    eo = head[head["group"] == "eo"]
    # eo/a range [0.50, 0.61]: m2's runs normalise to 10/11 and 1 on both tasks, m1's to 0 and
    # 1/11; the IQM of four pooled runs keeps the middle two.
    assert eo["method"].tolist() == ["m2 · finetune", "m1 · finetune"]
    assert eo["IQM"].tolist() == [f"{(10 / 11 + 1) / 2 * 100:.1f}", f"{(1 / 11) / 2 * 100:.1f}"]
    assert eo["IQM"].tolist() == ["95.5", "4.5"]
    assert eo["tasks"].tolist() == ["2/2", "2/2"]
    assert all(re.fullmatch(r"\[\d+\.\d, \d+\.\d\]", ci) for ci in eo["95% CI"])
    nlp = head[head["group"] == "nlp"].set_index("method")
    # No nlp method ran both tasks: every nlp row says so instead of a silent gap.
    assert set(nlp.index) == {"n1 · finetune", "n2 · finetune", "n3 · finetune", "n4 · finetune"}
    assert nlp.loc["n1 · finetune", "score"] == f"{NEEDS} (ran 1 of 2)"
    assert nlp.loc["n1 · finetune", "tasks"] == "1/2"
    assert (nlp["IQM"] == "—").all()
    pc = head[head["group"] == "pc"]
    assert pc["method"].tolist() == ["r2 · finetune", "r1 · finetune"]
    overall = head[head["group"] == "overall"]
    assert overall.to_dict("records")[0]["score"] == NEEDS and len(overall) == 1
    md = render_markdown(rep)
    assert "| eo | m2 · finetune | 2/2 | " in md and f"| {NEEDS} (ran 1 of 2) |" in md


def test_lower_is_better_and_raw_units_are_marked() -> None:
    df = _rows({"eo/rmse": {"a": [2.0, 2.2], "b": [1.0, 1.2]}})
    df["metric"] = "rmse"
    df["direction"] = "minimize"
    rep = build_report(df, ReportConfig(n_bootstrap=50))
    per = per_task_table(rep)
    # RMSE is not a fraction: shown in its own units, best (lowest) first, never ×100.
    assert per["metric"].tolist() == ["rmse (↓ lower is better, raw units)"] * 2
    assert per["method"].tolist() == ["b · finetune", "a · finetune"]
    assert per["mean"].tolist() == ["1.1", "2.1"]
    assert per["± s.e."].tolist() == ["0.1", "0.1"]


def test_columns_are_explained_on_the_page(tmp_path: Path) -> None:
    df = _rows({"eo/a": {"m1": [0.5, 0.51], "m2": [0.6, 0.61]}})
    write_report(df, tmp_path, ReportConfig(n_bootstrap=50), print_terminal=False)
    md = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    for text in (md, html):
        assert "score: normalised score ×100, the GEO-Bench-2 leaderboard" in text
        assert "IQM: the interquartile mean of the method" in text
        assert "95% CI: the percentile interval of the same resampled IQMs" in text
        assert "mean: the task" in text and "norm. IQM: interquartile mean over seeds" in text
    assert html.count("<ul class='notes'>") == 2


def test_non_tty_render_never_cuts_cells() -> None:
    df = _rows(
        {
            "eo/a": {LONG_MODEL: [0.5, 0.51], "m2": [0.6, 0.61]},
            "eo/b": {"m2": [0.6, 0.61], "m3": [0.1, 0.2]},
            "det/c": {"y": [0.2, 0.3]},
        }
    )
    rep = build_report(df, ReportConfig(n_bootstrap=50))
    buf = io.StringIO()
    console = Console(file=buf, width=80)  # a log file: not a terminal, 80 columns by default
    assert not console.is_terminal
    render_terminal(rep, console)
    text = buf.getvalue()
    assert "…" not in text
    # Each row stays on one line: the long label and the reason are whole.
    assert any(
        LONG_MODEL + " · finetune" in line and "(ran 1 of 2)" in line for line in text.splitlines()
    )
    assert "n/a — cannot normalise: det/c (1 method)" in text
    assert max(len(line) for line in text.splitlines()) > 80
    # The console keeps its width for whatever is printed next.
    assert console.width == 80


def test_results_columns_are_snake_case() -> None:
    snake = re.compile(r"[a-z][a-z0-9_]*")
    assert all(snake.fullmatch(c) for c in COLUMNS), [c for c in COLUMNS if not snake.fullmatch(c)]
    run = {
        "run_id": "r1",
        "status": "FINISHED",
        "tags": {"task": "eo/a", "primary_metric": "miou", "seed": "3", "model": "m"},
        "params": {},
        "metrics": {"test/miou": 0.5, "best_val/miou": 0.6},
    }
    row = row_from_run(run)
    assert set(row) == set(COLUMNS)
    assert (row["test_metric"], row["val_metric"], row["seed"], row["metric"]) == (
        0.5,
        0.6,
        3,
        "miou",
    )


def test_a_legacy_results_csv_reads_under_the_new_names(tmp_path: Path) -> None:
    df = _rows({"eo/a": {"m1": [0.5, 0.51], "m2": [0.6, 0.61]}})
    for col in RESULTS_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    old = df.rename(columns={"test_metric": "test metric", "seed": "Seed", "metric": "Metric"})
    old["val metric"] = 0.4
    path = tmp_path / "old.csv"
    old.to_csv(path, index=False)
    back = read_results_csv(path)
    assert back["test_metric"].tolist() == df["test_metric"].tolist()
    assert "val_metric" in back.columns and "test metric" not in back.columns
    both = old.assign(test_metric=old["test metric"])
    both.to_csv(path, index=False)
    with pytest.raises(ResultsSchemaError, match="'test metric' appear under both"):
        read_results_csv(path)


def _complete(df: pd.DataFrame) -> pd.DataFrame:
    for col in RESULTS_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan if col in ("lr", "weight_decay", "n_trials") else ""
    df["data_percentages"] = 100
    df["early_stop_patience"] = 10
    return df


def test_the_same_run_in_two_tables_counts_once() -> None:
    a = _complete(_rows({"eo/a": {"m1": [0.5, 0.51], "m2": [0.6, 0.61]}}))
    b = _complete(_rows({"eo/a": {"m2": [0.6, 0.61], "m3": [0.7, 0.71]}}))
    failed = a.iloc[[0]].assign(test_metric=np.nan, status="FAILED")
    both = concat_results([pd.concat([failed, a], ignore_index=True), b], ["a.csv", "b.csv"])
    # m2's two runs are in both tables; m1's seed 0 is once failed, once finished: kept finished.
    assert len(both) == 6
    assert both["mlflow_run_id"].is_unique
    assert both.set_index("mlflow_run_id").loc["eo/a-m1-0", "status"] == "FINISHED"
    rep = build_report(both, ReportConfig(n_bootstrap=20))
    assert len(rep.finished) == 6 and rep.per_task["n_seeds"].tolist() == [2, 2, 2]
    # Rows without a run id are not merged.
    anon = a.assign(mlflow_run_id="")
    assert len(drop_duplicate_runs(pd.concat([anon, anon], ignore_index=True))) == 8
    clash = b.copy()
    clash.loc[0, "test_metric"] = 0.9
    with pytest.raises(
        ResultsSchemaError,
        match=r"mlflow_run_id 'eo/a-m2-0' appears with different test_metric"
        r" values \(0\.6, 0\.9\) in a\.csv, b\.csv",
    ):
        concat_results([a, clash], ["a.csv", "b.csv"])


def test_report_cli_with_overlapping_csvs_counts_each_run_once(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    a = _complete(_rows({"eo/a": {"m1": [0.5, 0.51], "m2": [0.6, 0.61]}}))
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    a.to_csv(first, index=False)
    a.iloc[:2].to_csv(second, index=False)  # an older export of part of the same suite
    spec = importlib.util.spec_from_file_location("report_cli", ROOT / "tools" / "report.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / "out"
    code = cli.main(["--csv", str(first), str(second), "--out", str(out), "--n-bootstrap", "20"])
    assert code == 0
    assert "Runs: 4 finished, 0 not finished; 1 tasks." in (out / "report.md").read_text()
    assert len(pd.read_csv(out / "results.csv")) == 4
    assert "2 row(s) repeat an mlflow_run_id already read; each run is counted once" in (
        capsys.readouterr().err
    )


def test_capability_table_shows_groups_with_a_score_and_names_the_rest() -> None:
    df = _rows(
        {
            "eo/a": {"m1": [0.50, 0.51], "m2": [0.60, 0.61]},
            "eo/b": {"m1": [0.70, 0.71], "m2": [0.40, 0.41]},
            "eo/c": {"m3": [0.2, 0.3], "m4": [0.3, 0.4]},
        }
    )
    df["capabilities"] = df["task"].map(
        {"eo/a": "pixel-wise,rgb", "eo/b": "pixel-wise,rgb", "eo/c": "rgb,sar"}
    )
    rep = build_report(df, ReportConfig(n_bootstrap=50))
    table = capability_table(rep)
    # pixel-wise (a, b) is scored for m1 and m2; rgb (a, b, c) for nobody; sar has one task.
    assert list(table.columns) == ["method", "pixel-wise"]
    assert table["method"].tolist() == ["m1 · finetune", "m2 · finetune"]
    assert all(re.fullmatch(r"\d+\.\d \[\d+\.\d, \d+\.\d\]", v) for v in table["pixel-wise"])
    notes = " ".join(capability_notes(rep))
    assert "One-task groups (see the per-task table): sar." in notes
    assert "Groups where no method has a score: rgb." in notes


def test_export_maps_back_to_the_leaderboard_names() -> None:
    df = _complete(_rows({"eo/a": {"m1": [0.5, 0.51]}}))
    # A results table in the harness's column order exports in the leaderboard's order.
    sub = to_geobench2_submission(df[list(RESULTS_COLUMNS)])
    assert list(sub.columns) == list(GEOBENCH2_COLUMNS)
    assert sub["test metric"].tolist() == [0.5, 0.51] and sub["Seed"].tolist() == [0, 1]


def test_a_narrow_terminal_wraps_cells_instead_of_cutting_them() -> None:
    df = _rows({"eo/a": {LONG_MODEL: [0.5, 0.51], "m2": [0.6, 0.61]}, "eo/b": {"m2": [0.6, 0.7]}})
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=60, color_system=None)
    render_terminal(build_report(df, ReportConfig(n_bootstrap=20)), console)
    text = buf.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 60
    # The long label is folded over several lines, every character kept.
    cells = "".join(line.split("│")[2].strip() for line in text.splitlines() if line.count("│") > 3)
    assert LONG_MODEL.replace(" ", "") in cells.replace(" ", "")
