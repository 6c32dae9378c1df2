"""The results table: one row per finished (task, model, protocol, label fraction, seed) cell.

The columns start with the GEO-Bench-2 leaderboard submission format
(``results_and_parameters.csv``) so that a GeoArena results table can be submitted or compared
with the published submissions as is; GeoArena adds what that format leaves implicit (modality,
protocol, normalisation, input unit, code version) and the harness's own cell keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from geoarena.core.errors import DataError

#: The column holding a run's score, and the one naming its dataset.
SCORE_COL = "test metric"
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

#: Further columns the published submissions carry; accepted, never required.
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
RESULTS_COLUMNS: tuple[str, ...] = GEOBENCH2_COLUMNS + GEOARENA_COLUMNS + HARNESS_COLUMNS

#: Columns that must hold numbers (NaN allowed: a FAILED cell has no test metric).
NUMERIC_COLUMNS: tuple[str, ...] = (
    "test metric",
    "Seed",
    "n_trials",
    "early_stop_patience",
    "data_percentages",
    "lr",
    "weight_decay",
    "label_fraction",
)


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
        raise ResultsSchemaError(
            f"results table is missing column(s) {', '.join(repr(c) for c in missing)} "
            f"(expected {len(columns)} columns: {', '.join(columns)})",
            path,
        )
    for col in NUMERIC_COLUMNS:
        if col not in columns:
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
    """Check a table against the GEO-Bench-2 submission columns only."""
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
    """Complete a GEO-Bench-2 submission table with GeoArena's columns.

    The harness keys are derived from what the submission states: ``task`` ← ``dataset``,
    ``model`` ← ``backbone``, ``protocol`` ← ``frozen_or_full_ft``, ``label_fraction`` ←
    ``data_percentages`` / 100, ``status`` ← ``mlflow_run_status`` (FINISHED when absent).
    What a submission does not record (normalisation, input unit, git sha, config hash) is left
    empty rather than guessed.
    """
    validate_submission(df)
    out = df.copy()
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


def read_results_csv(path: str | Path) -> pd.DataFrame:
    """Read a results CSV: a GeoArena results table or a GEO-Bench-2 submission.

    A file with the GEO-Bench-2 columns but not GeoArena's is completed with
    :func:`from_geobench2_submission`. Raises :class:`ResultsSchemaError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsSchemaError("results CSV not found", path)
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ResultsSchemaError(f"cannot parse results CSV: {exc}", path) from exc
    validate_submission(df, path)
    if not set(RESULTS_COLUMNS) <= set(df.columns):
        df = from_geobench2_submission(df)
    return validate_results(df, path=path)


def concat_results(tables: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack several validated results tables (e.g. several submissions)."""
    frames = [validate_results(t) for t in tables]
    if not frames:
        return empty_results()
    return pd.concat(frames, ignore_index=True)
