"""The results table: one row per finished (task, model, protocol, label fraction, seed) cell.

The columns start with the GEO-Bench-2 leaderboard submission format
(``results_and_parameters.csv``) so that a GeoArena results table can be submitted or compared
with the published submissions; GeoArena adds what that format leaves implicit (modality,
protocol, normalisation, input unit, code version) and the harness's own cell keys.

Column names follow one convention, snake_case. Three submission columns are spelled otherwise
on the leaderboard; :data:`GEOBENCH2_NAMES` maps them, and it is applied on import
(:func:`from_geobench2_submission`, :func:`read_results_csv`) and on export
(:func:`to_geobench2_submission`), so a submission read and written back keeps its names exactly:

=============== ==================
GeoArena        GEO-Bench-2
=============== ==================
``metric``      ``Metric``
``test_metric`` ``test metric``
``seed``        ``Seed``
=============== ==================

Every other submission column has the same name in both (``dataset``, ``mlflow_run_id``,
``backbone``, …). Optional columns some submissions carry (``partition name``, …) pass through
untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from geoarena.core.errors import DataError

#: GeoArena column → GEO-Bench-2 submission column, for the names that differ.
GEOBENCH2_NAMES: dict[str, str] = {"metric": "Metric", "test_metric": "test metric", "seed": "Seed"}
#: GEO-Bench-2 submission column → GeoArena column (the inverse of :data:`GEOBENCH2_NAMES`).
FROM_GEOBENCH2_NAMES: dict[str, str] = {v: k for k, v in GEOBENCH2_NAMES.items()}
#: Spellings of earlier GeoArena results tables, read as today's names.
LEGACY_NAMES: dict[str, str] = {**FROM_GEOBENCH2_NAMES, "val metric": "val_metric"}

#: The column holding a run's score, and the one naming its dataset.
SCORE_COL = "test_metric"
DATASET_COL = "dataset"

#: Columns of a GEO-Bench-2 leaderboard submission, spelled (and capitalised) as the leaderboard
#: reads them. ``test metric`` is the score, ``Metric`` its name.
GEOBENCH2_COLUMNS: tuple[str, ...] = (
    "dataset",
    "Metric",
    "test metric",
    "mlflow_run_id",
    "Seed",
    "backbone",
    "decoder",
    "n_trials",
    "early_stop_patience",
    "data_percentages",
    "batch_size_selection",
    "lr",
    "weight_decay",
    "frozen_or_full_ft",
)

#: The same columns under GeoArena's names (the first columns of a results table).
SUBMISSION_COLUMNS: tuple[str, ...] = tuple(
    FROM_GEOBENCH2_NAMES.get(c, c) for c in GEOBENCH2_COLUMNS
)

#: Further columns the published submissions carry; accepted, never required, never renamed.
GEOBENCH2_OPTIONAL_COLUMNS: tuple[str, ...] = (
    "mlflow_run_name",
    "mlflow_run_status",
    "experiment_id",
    "experiment_name",
    "index",
    "batch_size",
    "partition_name",
    "partition name",
)

#: What GeoArena records beyond GEO-Bench-2 so that a score can be reproduced.
GEOARENA_COLUMNS: tuple[str, ...] = (
    "modality",
    "protocol",
    "normalization",
    "input_unit",
    "git_sha",
)

#: The harness's cell keys: registry names, label fraction, config hash (resume) and run status.
HARNESS_COLUMNS: tuple[str, ...] = ("task", "model", "label_fraction", "config_hash", "status")

#: Every column of a GeoArena results table, in order.
RESULTS_COLUMNS: tuple[str, ...] = SUBMISSION_COLUMNS + GEOARENA_COLUMNS + HARNESS_COLUMNS

#: Columns that must hold numbers (NaN allowed: a FAILED cell has no test metric).
NUMERIC_COLUMNS: tuple[str, ...] = (
    "test_metric",
    "seed",
    "n_trials",
    "early_stop_patience",
    "data_percentages",
    "lr",
    "weight_decay",
    "label_fraction",
)
_NUMERIC = frozenset(NUMERIC_COLUMNS) | {GEOBENCH2_NAMES.get(c, c) for c in NUMERIC_COLUMNS}


class ResultsSchemaError(DataError):
    """A results table lacks columns or holds values of the wrong type."""


def validate_results(
    df: pd.DataFrame,
    columns: Sequence[str] = RESULTS_COLUMNS,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Check that ``df`` has every column in ``columns`` and numbers where numbers belong.

    Returns ``df`` unchanged so the call can be chained. Raises :class:`ResultsSchemaError`
    naming every missing column (and ``path`` when the table came from a file), or the first
    non-numeric value of a numeric column with its row.
    """
    if not isinstance(df, pd.DataFrame):
        raise ResultsSchemaError(
            f"results must be a pandas DataFrame, got {type(df).__name__}", path
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        hint = ""
        if any(FROM_GEOBENCH2_NAMES.get(c) in missing for c in df.columns):
            hint = (
                "; the table uses GEO-Bench-2 names: read it with read_results_csv or "
                "from_geobench2_submission, which map them"
            )
        raise ResultsSchemaError(
            f"results table is missing column(s) {', '.join(repr(c) for c in missing)} "
            f"(expected {len(columns)} columns: {', '.join(columns)}){hint}",
            path,
        )
    for col in columns:
        if col not in _NUMERIC:
            continue
        as_num = pd.to_numeric(df[col], errors="coerce")
        bad = as_num.isna() & df[col].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ResultsSchemaError(
                f"column {col!r} must be numeric; row {row} holds {df[col].iloc[row]!r}", path
            )
    return df


def validate_submission(df: pd.DataFrame, path: str | Path | None = None) -> pd.DataFrame:
    """Check a table against the GEO-Bench-2 submission columns, under the leaderboard's names."""
    return validate_results(df, GEOBENCH2_COLUMNS, path)


def empty_results() -> pd.DataFrame:
    """A results table with every column and no rows."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype="float64" if c in NUMERIC_COLUMNS else "object")
            for c in RESULTS_COLUMNS
        }
    )


def from_geobench2_submission(df: pd.DataFrame, modality: str = "eo") -> pd.DataFrame:
    """A GEO-Bench-2 submission table as a GeoArena results table.

    Renames the submission's columns by :data:`GEOBENCH2_NAMES` (``test metric`` →
    ``test_metric`` …), keeping their order, and derives the harness keys from what the
    submission states: ``task`` ← ``dataset``, ``model`` ← ``backbone``, ``protocol`` ←
    ``frozen_or_full_ft``, ``label_fraction`` ← ``data_percentages`` / 100, ``status`` ←
    ``mlflow_run_status`` (FINISHED when absent). What a submission does not record
    (normalisation, input unit, git sha, config hash) is left empty rather than guessed.
    """
    validate_submission(df)
    out = df.rename(columns=FROM_GEOBENCH2_NAMES)
    defaults = {
        "task": out["dataset"],
        "model": out["backbone"],
        "protocol": out["frozen_or_full_ft"],
        "label_fraction": pd.to_numeric(out["data_percentages"]) / 100.0,
        "status": out.get("mlflow_run_status", "FINISHED"),
        "modality": modality,
        "normalization": "",
        "input_unit": "",
        "git_sha": "",
        "config_hash": "",
    }
    for col, value in defaults.items():
        if col not in out.columns:
            out[col] = value
    return out


def to_geobench2_submission(df: pd.DataFrame) -> pd.DataFrame:
    """The submission columns of a results table, under the GEO-Bench-2 leaderboard's names.

    Keeps the submission columns (required and optional) in the table's order, drops GeoArena's
    own, and renames by :data:`GEOBENCH2_NAMES`; the inverse of :func:`from_geobench2_submission`
    on a published submission, column for column.
    """
    validate_results(df, SUBMISSION_COLUMNS)
    keep = set(SUBMISSION_COLUMNS) | set(GEOBENCH2_OPTIONAL_COLUMNS)
    return df[[c for c in df.columns if c in keep]].rename(columns=GEOBENCH2_NAMES)


def read_results_csv(path: str | Path) -> pd.DataFrame:
    """Read a results CSV: a GeoArena results table or a GEO-Bench-2 submission.

    A file under the leaderboard's names (``test metric``, ``Seed``, ``Metric``) is checked
    under those names and then mapped by :func:`from_geobench2_submission`; a GeoArena table
    written before the names became snake_case is read the same way. Raises
    :class:`ResultsSchemaError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsSchemaError("results CSV not found", path)
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ResultsSchemaError(f"cannot parse results CSV: {exc}", path) from exc
    clash = [c for c in df.columns if c in LEGACY_NAMES and LEGACY_NAMES[c] in df.columns]
    if clash:
        raise ResultsSchemaError(
            f"column(s) {', '.join(repr(c) for c in clash)} appear under both their GEO-Bench-2 "
            "and their GeoArena name",
            path,
        )
    if any(c in FROM_GEOBENCH2_NAMES for c in df.columns):
        validate_submission(df, path)
        df = df.rename(columns=LEGACY_NAMES)
    validate_results(df, SUBMISSION_COLUMNS, path)
    if not set(RESULTS_COLUMNS) <= set(df.columns):
        df = from_geobench2_submission(df.rename(columns=GEOBENCH2_NAMES))
    return validate_results(df, path=path)


def concat_results(
    tables: Iterable[pd.DataFrame], sources: Sequence[str | Path] | None = None
) -> pd.DataFrame:
    """Stack several validated results tables, counting every MLflow run once.

    Several CSVs may hold the same run (a suite's results.csv and a later export of it): rows
    whose ``mlflow_run_id`` was already seen are dropped, the one with a score kept. The same
    run id with two different scores is an error, naming the run and (with ``sources``) the
    files. Rows without a run id are all kept.
    """
    frames = [validate_results(t) for t in tables]
    if not frames:
        return empty_results()
    labels = (
        [str(s) for s in sources]
        if sources is not None
        else [f"table {i}" for i in range(len(frames))]
    )
    both = pd.concat(
        [f.assign(_source=label) for f, label in zip(frames, labels)], ignore_index=True
    )
    return drop_duplicate_runs(both, source_col="_source").drop(columns="_source")


def drop_duplicate_runs(df: pd.DataFrame, source_col: str | None = None) -> pd.DataFrame:
    """``df`` with each ``mlflow_run_id`` once (first row with a finite score, else first row).

    Raises :class:`ResultsSchemaError` when one run id carries two different finite scores.
    """
    run = df["mlflow_run_id"].astype("string").str.strip()
    has_id = run.notna() & run.ne("") & run.str.lower().ne("nan")
    score = pd.to_numeric(df[SCORE_COL], errors="coerce")
    dup_ids = run[has_id & run.duplicated(keep=False)].unique()
    for rid in dup_ids:
        rows = df[run.eq(rid)]
        scores = score[rows.index].dropna().unique()
        if len(scores) > 1:
            where = ""
            if source_col is not None:
                where = " in " + ", ".join(dict.fromkeys(rows[source_col].astype(str)))
            raise ResultsSchemaError(
                f"mlflow_run_id {rid!r} appears with different {SCORE_COL} values "
                f"({', '.join(f'{v:g}' for v in scores)}){where}"
            )
    # Scored rows first, so the kept copy of a run is one with a score; then the original order.
    order = df.assign(_scored=score.notna(), _pos=range(len(df)))
    order = order.sort_values(["_scored", "_pos"], ascending=[False, True], kind="stable")
    first = ~run[order.index].where(has_id[order.index]).duplicated(keep="first")
    first |= ~has_id[order.index]
    kept = order.loc[first[first].index].sort_values("_pos", kind="stable")
    return kept.drop(columns=["_scored", "_pos"]).reset_index(drop=True)
