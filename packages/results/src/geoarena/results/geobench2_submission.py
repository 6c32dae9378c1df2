"""GeoArena's ``geobench2`` suite as a GEO-Bench-2 leaderboard submission.

* :func:`submission_from_runs` — ``results_and_parameters.csv`` rows from the suite's MLflow
  runs: one row per finished seed cell, the leaderboard's ``Metric`` name for the dataset, the
  ``test metric`` the leaderboard expects (BioMassters: ``1 − RMSE · 0.2538``, the cell's
  ``test/gb2_score``), and the hyper-parameters the search chose (``hpo/lr`` …).
* :func:`write_submission` — the CSV plus ``additional_info.json``.
* :func:`check_submission_folder` — the leaderboard's input validation rules
  (``utils/input_validation.py`` of The-AI-Alliance/GEO-Bench-2-Leaderboard), re-implemented:
  the problems it would print, as a list (empty: the submission passes).
* :func:`capability_table` — our backbones beside the published ones in the leaderboard's
  capability tables, normalised with the leaderboard's ``normalizer.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from geoarena.results.capability import GEOBENCH2_CAPABILITY_GROUPS
from geoarena.results.published import normalizer_json, submission_csv

CSV_FILE = "results_and_parameters.csv"
JSON_FILE = "additional_info.json"
REQUIRED_SEEDS = 5
#: the leaderboard's column classes for new submissions (``NEW_SUBMISSION_COLUMN_INFO``)
STRING_COLS = (
    "dataset",
    "Metric",
    "experiment_name",
    "partition name",
    "backbone",
    "decoder",
    "batch_size_selection",
    "frozen_or_full_ft",
)
INTEGER_COLS = ("early_stop_patience", "n_trials", "Seed", "data_percentages", "batch_size")
FLOAT_COLS = ("weight_decay", "lr", "test metric")
SUBMISSION_COLS = STRING_COLS + INTEGER_COLS + FLOAT_COLS
#: the leaderboard's ``JSON_FORMAT``: key → the type its value must have (note the trailing
#: space of "Code Repository Link ", as published)
JSON_TYPES: dict[str, type] = {
    "Paper Link": str,
    "Code Repository Link ": str,
    "License": str,
    "Number of HPO trials": str,
    "Additional information about submission": str,
    "Comments on new models in submission": str,
    "New model info": list,
}
#: datasets whose leaderboard score is not the primary metric of the GeoArena task
SCORE_KEYS = {"biomassters": "gb2_score"}
FULL_FT_SUBMISSION = "114be1f0-5a41-43a5-b4e6-7fb683bc01ec"
#: the column order of the leaderboard's overall table (``COLUMN_ORDER``)
GROUP_ORDER = (
    "Core",
    "Multi-Spectral-Dependent",
    "Multi-Temporal",
    "Pixel-wise",
    "Classification",
    "Detection (Object/Instance)",
    "Under 10m Resolution",
    "10m and Above Resolution",
    "RGB/NIR",
)


def leaderboard_metric_names() -> dict[str, str]:
    """dataset → the ``Metric`` name the published full fine-tuning submission uses."""
    pub = pd.read_csv(submission_csv(FULL_FT_SUBMISSION), usecols=["dataset", "Metric"])
    return dict(pub.drop_duplicates("dataset").itertuples(index=False, name=None))


def submission_from_runs(runs: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows of ``results_and_parameters.csv`` from ``Tracker.find_runs`` records of suite cells
    (FINISHED runs only; suite parent runs are skipped)."""
    names = leaderboard_metric_names()
    rows = []
    for r in runs:
        tags, params, metrics = r["tags"], r["params"], r["metrics"]
        if r.get("status") != "FINISHED" or tags.get("suite_parent") == "true":
            continue
        dataset = tags.get("dataset", "")
        if dataset not in names:
            continue
        key = SCORE_KEYS.get(dataset, tags.get("primary_metric", ""))
        lf = float(tags.get("label_fraction", 1.0))
        rows.append(
            {
                "dataset": dataset,
                "Metric": names[dataset],
                "test metric": metrics.get(f"test/{key}"),
                "experiment_name": f"geoarena_{tags.get('suite', '')}_{tags.get('backbone', '')}",
                "partition name": f"{round(lf * 100)}%",
                # the encoder: one backbone's dense and R-CNN cells are one leaderboard backbone
                "backbone": tags.get("backbone") or tags.get("model", ""),
                "decoder": tags.get("decoder", ""),
                "batch_size_selection": "Fixed",
                "frozen_or_full_ft": tags.get("frozen_or_full_ft", ""),
                "early_stop_patience": int(float(params.get("train.early_stop_patience", 0))),
                "n_trials": int(metrics.get("hpo/n_trials", 0)),
                "Seed": int(tags.get("seed", 0)),
                "data_percentages": round(lf * 100),
                "batch_size": int(float(params.get("train.batch_size", 0))),
                "weight_decay": float(
                    metrics.get("hpo/weight_decay", params.get("train.weight_decay", 0.0))
                ),
                "lr": float(metrics.get("hpo/lr", params.get("train.lr", 0.0))),
                "mlflow_run_id": r.get("run_id", ""),
            }
        )
    df = pd.DataFrame(rows, columns=[*SUBMISSION_COLS, "mlflow_run_id"])
    return df.sort_values(["backbone", "dataset", "Seed"], kind="stable").reset_index(drop=True)


def write_submission(
    df: pd.DataFrame, folder: str | Path, info: dict[str, Any] | None = None
) -> tuple[Path, Path]:
    """Write the CSV and ``additional_info.json`` (every leaderboard key; ``info`` overrides)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / CSV_FILE
    df.to_csv(csv, index=False)
    backbones = sorted(df["backbone"].unique()) if len(df) else []
    trials = sorted({int(n) for n in df.get("n_trials", [])})
    payload: dict[str, Any] = {
        "Paper Link": "N/A",
        "Code Repository Link ": "N/A",
        "License": "Apache-2.0",
        "Number of HPO trials": ", ".join(str(t) for t in trials) or "N/A",
        "Additional information about submission": "GeoArena geobench2 suite",
        "Comments on new models in submission": "N/A",
        "New model info": [
            {"model_display_name": b, "model_size": "N/A", "unique_backbone_key": b}
            for b in backbones
        ],
        **(info or {}),
    }
    js = folder / JSON_FILE
    js.write_text(json.dumps(payload, indent=2) + "\n")
    return csv, js


def check_submission_folder(
    folder: str | Path, required_seeds: int = REQUIRED_SEEDS
) -> tuple[list[str], list[str]]:
    """The leaderboard's input validation of a submission folder: ``(errors, warnings)``.

    Rules: the folder holds exactly the CSV and the JSON; the CSV has every required column,
    string columns are text and the numeric ones numbers; every (backbone, dataset) has
    ``required_seeds`` rows (warning: and as many distinct seeds); the JSON has every key with a
    value of the right type; the datasets cover at least one capability group completely;
    ``frozen_or_full_ft`` holds only ``frozen`` or ``full_ft``.
    """
    folder = Path(folder)
    errors: list[str] = []
    warnings: list[str] = []
    contents = sorted(p.name for p in folder.iterdir() if p.name != ".DS_Store")
    if contents != sorted([CSV_FILE, JSON_FILE]):
        errors.append(f"{folder}: must hold exactly {CSV_FILE} and {JSON_FILE}, holds {contents}")
        if CSV_FILE not in contents or JSON_FILE not in contents:
            return errors, warnings
    csv = pd.read_csv(folder / CSV_FILE)
    missing = [c for c in SUBMISSION_COLS if c not in csv.columns]
    if missing:
        errors.append(f"{CSV_FILE}: missing column(s) {missing}")
    for col in STRING_COLS:
        # the leaderboard asks for pandas' object dtype (its pandas reads text as object;
        # pandas >= 3 reads it as the string dtype, the same thing)
        if col not in csv.columns:
            continue
        text = pd.api.types.is_object_dtype(csv[col]) or pd.api.types.is_string_dtype(csv[col])
        if not text:
            errors.append(f"{CSV_FILE}: column {col!r} must be text, is {csv[col].dtype}")
    for col in INTEGER_COLS + FLOAT_COLS:
        if col in csv.columns and not pd.api.types.is_numeric_dtype(csv[col]):
            errors.append(f"{CSV_FILE}: column {col!r} must be numeric, is {csv[col].dtype}")
    if {"backbone", "dataset", "test metric", "Seed"} <= set(csv.columns):
        counts = set(csv.groupby(["backbone", "dataset"])["test metric"].count().tolist())
        if counts != {required_seeds}:
            errors.append(
                f"{CSV_FILE}: each backbone/dataset needs {required_seeds} entries, found {sorted(counts)}"
            )
        seeds = set(csv.groupby(["backbone", "dataset"])["Seed"].nunique().tolist())
        if seeds != {required_seeds}:
            warnings.append(f"{CSV_FILE}: distinct seeds per backbone/dataset {sorted(seeds)}")
    info = json.loads((folder / JSON_FILE).read_text())
    for key, typ in JSON_TYPES.items():
        if key not in info or not isinstance(info[key], typ):
            errors.append(f"{JSON_FILE}: key {key!r} missing or not a {typ.__name__}")
    if "dataset" in csv.columns:
        present = set(csv["dataset"])
        if not any(set(ds) <= present for ds in GEOBENCH2_CAPABILITY_GROUPS.values()):
            errors.append(
                f"{CSV_FILE}: no capability group is complete (datasets: {sorted(present)})"
            )
    if "frozen_or_full_ft" in csv.columns:
        bad = set(csv["frozen_or_full_ft"]) - {"frozen", "full_ft"}
        if bad:
            errors.append(
                f"{CSV_FILE}: frozen_or_full_ft must be frozen or full_ft, found {sorted(bad)}"
            )
    return errors, warnings


def capability_table(
    ours: pd.DataFrame, published: Iterable[str] = (FULL_FT_SUBMISSION,), n_bootstrap: int = 100
) -> pd.DataFrame:
    """Group scores (IQM of normalised scores, ×100, with CI) per backbone: our submission rows
    beside the published submissions', all normalised with the leaderboard's ``normalizer.json``.
    Columns: ``backbone``, ``source`` (``geoarena`` or the submission id), one per group."""
    from geoarena.results.aggregate import compute_leaderboard
    from geoarena.results.normalize import Normalizer
    from geoarena.results.schema import from_geobench2_submission

    frames = [from_geobench2_submission(ours).assign(source="geoarena")]
    for sid in published:
        pub = pd.read_csv(submission_csv(sid))
        frames.append(from_geobench2_submission(pub).assign(source=sid))
    df = pd.concat(frames, ignore_index=True)
    board = compute_leaderboard(
        df,
        method_cols=("backbone", "source"),
        normalizer=Normalizer.from_json(normalizer_json()),
        n_bootstrap=n_bootstrap,
    )
    g = board.groups
    # "score": the mean of the bootstrap IQMs, the value the leaderboard shows
    table = g.pivot_table(index=["backbone", "source"], columns="group", values="score")
    table = (table * 100).round(1).reset_index()
    groups = [g for g in GROUP_ORDER if g in table.columns]
    return table[["backbone", "source", *groups]]


def export_suite(tracking_uri: str, suite: str, out: str | Path) -> dict[str, Any]:
    """Export a suite's MLflow runs as a submission folder, check it, and write the capability
    table beside the published submissions (``capability_table.md`` / ``.html``)."""
    from geoarena.core.errors import ConfigError
    from geoarena.store.mlflow_tracker import MLflowTracker

    tracker = MLflowTracker(experiment=f"suite-{suite}", tracking_uri=tracking_uri)
    df = submission_from_runs(tracker.find_runs({"suite": suite}))
    if df.empty:
        # one line instead of a page of column-type errors about an empty CSV
        raise ConfigError(
            f"--suite {suite}: no FINISHED GEO-Bench-2 cells in experiment 'suite-{suite}' of the "
            "store at --tracking-uri (the tracks are geobench2 and geobench2-frozen)"
        )
    out = Path(out)
    write_submission(df, out / "submission")
    errors, warnings = check_submission_folder(out / "submission")
    table = capability_table(df)
    (out / "capability_table.md").write_text(_markdown(table))
    html = table.style.format(precision=1, na_rep="—").apply(
        lambda row: ["font-weight: bold" if row["source"] == "geoarena" else "" for _ in row],
        axis=1,
    )
    (out / "capability_table.html").write_text(
        "<html><body style='font-family: sans-serif; font-size: 12px'>"
        "<h3>GEO-Bench-2 capability groups (normalised IQM ×100, leaderboard normalizer); "
        "GeoArena rows in bold</h3>" + html.hide(axis="index").to_html() + "</body></html>\n"
    )
    return {"rows": len(df), "errors": errors, "warnings": warnings, "table": table}


def _markdown(table: pd.DataFrame) -> str:
    cells = table.astype(object).where(table.notna(), "—").astype(str)
    lines = ["| " + " | ".join(map(str, table.columns)) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracking-uri", required=True)
    p.add_argument("--suite", default="geobench2")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    from geoarena.core.errors import ConfigError

    try:
        res = export_suite(args.tracking_uri, args.suite, args.out)
    except ConfigError as e:
        print(f"error: {e}")
        return 1
    print(f"{res['rows']} rows → {Path(args.out) / 'submission'}")
    for w in res["warnings"]:
        print(f"warning: {w}")
    for e in res["errors"]:
        print(f"error: {e}")
    print(res["table"].to_string(index=False))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
