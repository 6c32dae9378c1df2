"""GEO-Bench statistics in plain pandas/numpy: normalisation, IQM, stratified bootstrap, groups.

The steps follow the GEO-Bench-2 leaderboard's own computation (its ``compile_results`` /
``compute_tools``), so that our numbers on its published submissions are its numbers:

* per dataset, the raw score of a method is the **mean** over seeds, with the standard error of
  the mean (``ddof=1``) as its error;
* scores are min–max normalised **per run** (per seed) with a per-dataset range
  ``(v - min) / (max - min)``; the range comes from a ``normalizer.json`` (dataset → [min, max])
  or from the table itself (min and max over every run of that dataset);
* per dataset, the normalised score of a method is the **IQM over seeds**
  (``scipy.stats.trim_mean(x, 0.25)``: sort, drop ``int(0.25 n)`` values at each end, average);
  its error is the standard error of the kept values;
* per capability group, the **stratified bootstrap** resamples the seeds of every
  (method, dataset) cell with replacement (replicate ``i`` draws with
  ``numpy.random.RandomState(seed + i)``, cells in sorted key order — exactly what the
  leaderboard's ``groupby([...]).sample(frac=1, replace=True, random_state=100 + i)`` draws),
  pools each method's resampled normalised runs over the group's datasets and takes their IQM.
  The group score is the mean of the replicate IQMs, its error their standard error; we add the
  percentile confidence interval of the same replicates;
* a group is reported only when every dataset of the group is in the table, and a method that
  lacks one of them gets NaN for the group (it cannot be compared on it).

Lower-is-better metrics are flipped by the normaliser (``(max - v) / (max - min)``) when named in
``lower_is_better``; the leaderboard itself rescales BioMassters' RMSE upstream instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoarena.core.errors import ConfigError
from geoarena.results.capability import (
    GEOBENCH2_CAPABILITY_GROUPS,
    GEOBENCH2_DATASETS,
    capability_groups,
    capability_tags,
)
from geoarena.results.normalize import Normalizer
from geoarena.results.schema import DATASET_COL, FROM_GEOBENCH2_NAMES, SCORE_COL
from geoarena.results.stats import iqm, percentile_ci, sem, trimmed_sem

__all__ = [
    "DATASET_COL",
    "GEOBENCH2_BOOTSTRAP_SEED",
    "GEOBENCH2_CAPABILITY_GROUPS",
    "GEOBENCH2_DATASETS",
    "GEOBENCH2_N_BOOTSTRAP",
    "SCORE_COL",
    "Leaderboard",
    "Normalizer",
    "aggregate_groups",
    "capability_groups",
    "capability_tags",
    "compute_leaderboard",
    "iqm",
    "leaderboard_value",
    "per_dataset_scores",
    "rank_methods",
    "sem",
    "stratified_bootstrap_iqm",
    "trimmed_sem",
]


#: Seed and replicate count of the leaderboard's bootstrap (``random_state=100 + i``, 100 times).
GEOBENCH2_BOOTSTRAP_SEED = 100
GEOBENCH2_N_BOOTSTRAP = 100


# --------------------------------------------------------------------------- per dataset


def _clean(df: pd.DataFrame, keys: Sequence[str], score_col: str) -> pd.DataFrame:
    missing = [c for c in (*keys, score_col) if c not in df.columns]
    if missing:
        hint = ""
        if any(c in df.columns for c in FROM_GEOBENCH2_NAMES):
            hint = " (it has GEO-Bench-2 names: map them with schema.from_geobench2_submission)"
        raise ConfigError(f"results table lacks column(s) {missing} needed for aggregation{hint}")
    # Failed cells carry no score; they are reported by status, not averaged.
    return df[np.isfinite(pd.to_numeric(df[score_col], errors="coerce"))].reset_index(drop=True)


def per_dataset_scores(
    df: pd.DataFrame,
    method_cols: Sequence[str] = ("backbone",),
    dataset_col: str = DATASET_COL,
    score_col: str = SCORE_COL,
    normalizer: Normalizer | None = None,
    n_bootstrap: int = 1000,
    seed: int = GEOBENCH2_BOOTSTRAP_SEED,
    ci: float = 0.95,
) -> pd.DataFrame:
    """One row per (method, dataset): raw mean over seeds and normalised IQM over seeds.

    Columns: ``*method_cols, dataset_col, n_seeds, mean, sem, ci_low, ci_high,
    normalized_iqm, normalized_sem``. ``mean``/``sem`` are the leaderboard's raw value and error,
    ``normalized_iqm``/``normalized_sem`` its normalised value and error; ``ci_low``/``ci_high`` is
    the percentile interval of the mean over ``n_bootstrap`` resamples of the seeds (drawn from
    ``numpy.random.default_rng(seed)``). The normaliser defaults to the table's own ranges.
    """
    keys = [*method_cols, dataset_col]
    data = _clean(df, keys, score_col)
    norm = normalizer or Normalizer.from_table(data, dataset_col, score_col)
    data = data.assign(_norm=norm.normalize_frame(data, dataset_col, score_col))
    rng = np.random.default_rng(seed)
    rows = []
    for key, grp in data.groupby(keys, sort=True):
        scores = grp[score_col].to_numpy(dtype=float)
        draws = rng.integers(0, scores.size, size=(n_bootstrap, scores.size))
        lo, hi = percentile_ci(scores[draws].mean(axis=1), ci)
        rows.append(
            (
                *key,
                scores.size,
                float(scores.mean()),
                sem(scores),
                lo,
                hi,
                iqm(grp["_norm"]),
                trimmed_sem(grp["_norm"]),
            )
        )
    cols = [
        *keys,
        "n_seeds",
        "mean",
        "sem",
        "ci_low",
        "ci_high",
        "normalized_iqm",
        "normalized_sem",
    ]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- bootstrap over groups


def stratified_bootstrap_iqm(
    df: pd.DataFrame,
    method_cols: Sequence[str] = ("backbone",),
    dataset_col: str = DATASET_COL,
    value_col: str = "normalized",
    n_bootstrap: int = GEOBENCH2_N_BOOTSTRAP,
    seed: int = GEOBENCH2_BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Bootstrap distribution of each method's IQM over all its runs in ``df``.

    Replicate ``i`` resamples, with ``numpy.random.RandomState(seed + i)``, the runs (seeds) of
    every (method, dataset) cell with replacement — cells in sorted key order, one shared random
    stream per replicate, i.e. the draws of pandas' ``groupby(keys).sample(frac=1, replace=True,
    random_state=seed + i)`` — then takes the IQM of each method's pooled resampled values.
    Returns columns ``*method_cols, replicate, iqm``.
    """
    if n_bootstrap < 1:
        raise ConfigError(f"n_bootstrap must be >= 1, got {n_bootstrap}")
    keys = [*method_cols, dataset_col]
    data = _clean(df, keys, value_col)
    if data.empty:
        return pd.DataFrame(columns=[*method_cols, "replicate", "iqm"])
    values = data[value_col].to_numpy(dtype=float)
    # Cells (method, dataset) in sorted key order, as pandas' groupby iterates them; rows of a
    # cell in table order, as ``GroupBy.indices`` lists them.
    cell_of_row = data.groupby(keys, sort=True).ngroup().to_numpy()
    order = np.argsort(cell_of_row, kind="stable")
    sizes = np.bincount(cell_of_row)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    methods = data.groupby(list(method_cols), sort=True).size().index
    method_of_row = data.groupby(list(method_cols), sort=True).ngroup().to_numpy()
    method_of_cell = method_of_row[order[starts]]
    # Cells are sorted by method first, so each method owns a contiguous run of cells.
    m_first = np.searchsorted(method_of_cell, np.arange(len(methods)), side="left")
    m_last = np.searchsorted(method_of_cell, np.arange(len(methods)), side="right")
    offset_of_cell = np.repeat(starts, sizes)  # per sorted row: where its cell starts
    sorted_values = values[order]
    row_bounds = np.concatenate([[0], np.cumsum(sizes)])

    picks = np.empty((n_bootstrap, int(sizes.sum())), dtype=np.intp)
    for i in range(n_bootstrap):
        rs = np.random.RandomState(seed + i)
        if (sizes == sizes[0]).all():
            # ``RandomState.choice(n, n, replace=True)`` is ``randint(0, n, n)``; consecutive
            # calls with one bound are one call of the summed size (same stream).
            picks[i] = rs.randint(0, sizes[0], size=picks.shape[1])
        else:
            picks[i] = np.concatenate([rs.randint(0, n, size=n) for n in sizes])
    samples = sorted_values[offset_of_cell[None, :] + picks]  # (replicate, resampled run)

    out = np.empty((n_bootstrap, len(methods)))
    for m in range(len(methods)):
        pooled = np.sort(samples[:, row_bounds[m_first[m]] : row_bounds[m_last[m]]], axis=1)
        cut = int(0.25 * pooled.shape[1])
        out[:, m] = pooled[:, cut : pooled.shape[1] - cut].mean(axis=1)

    method_tuples = [m if isinstance(m, tuple) else (m,) for m in methods]
    records = [
        (*method_tuples[m], i, out[i, m]) for m in range(len(methods)) for i in range(n_bootstrap)
    ]
    return pd.DataFrame(records, columns=[*method_cols, "replicate", "iqm"])


def aggregate_groups(
    df: pd.DataFrame,
    groups: Mapping[str, Iterable[str]] | None = None,
    method_cols: Sequence[str] = ("backbone",),
    dataset_col: str = DATASET_COL,
    score_col: str = SCORE_COL,
    normalizer: Normalizer | None = None,
    n_bootstrap: int = GEOBENCH2_N_BOOTSTRAP,
    seed: int = GEOBENCH2_BOOTSTRAP_SEED,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Normalised IQM of each method over each group of datasets, with bootstrap intervals.

    ``groups`` maps a group name to its datasets; ``None`` means one group ``"overall"`` with
    every dataset of the table. A group is skipped unless all its datasets are in the table
    (as on the leaderboard); a method without runs on one of them gets NaN scores.

    Columns: ``*method_cols, group, n_datasets, n_runs, iqm, score, score_sem, ci_low,
    ci_high``: ``iqm`` is the point IQM of the method's pooled normalised runs, ``score`` and
    ``score_sem`` the mean and standard error of the bootstrap IQMs (the leaderboard's value and
    error), ``ci_low``/``ci_high`` the percentile interval (level ``ci``) of the same replicates.
    """
    keys = [*method_cols, dataset_col]
    data = _clean(df, keys, score_col)
    norm = normalizer or Normalizer.from_table(data, dataset_col, score_col)
    data = data.assign(normalized=norm.normalize_frame(data, dataset_col, score_col))
    present = set(data[dataset_col].astype(str))
    if groups is None:
        groups = {"overall": sorted(present)}
    cols = [
        *method_cols,
        "group",
        "n_datasets",
        "n_runs",
        "iqm",
        "score",
        "score_sem",
        "ci_low",
        "ci_high",
    ]
    rows = []
    for group, members in groups.items():
        members = list(dict.fromkeys(members))
        if not members or not set(members) <= present:
            continue
        sub = data[data[dataset_col].astype(str).isin(members)].reset_index(drop=True)
        boot = stratified_bootstrap_iqm(
            sub, method_cols, dataset_col, "normalized", n_bootstrap, seed
        )
        for key, mgrp in sub.groupby(list(method_cols), sort=True):
            key = key if isinstance(key, tuple) else (key,)
            n_ds = mgrp[dataset_col].nunique()
            mask = np.ones(len(boot), dtype=bool)
            for col, val in zip(method_cols, key):
                mask &= (boot[col] == val).to_numpy()
            reps = boot.loc[mask, "iqm"].to_numpy(dtype=float)
            if n_ds < len(members):
                stats = (float("nan"),) * 5
            else:
                stats = (
                    iqm(mgrp["normalized"]),
                    float(reps.mean()),
                    sem(reps),
                    *percentile_ci(reps, ci),
                )
            rows.append((*key, group, n_ds, len(mgrp), *stats))
    return pd.DataFrame(rows, columns=cols)


def rank_methods(
    agg: pd.DataFrame, group: str, method_cols: Sequence[str] = ("backbone",)
) -> pd.DataFrame:
    """Methods of one group sorted by ``score`` (best first) with a 1-based ``rank`` column."""
    sub = agg[agg["group"] == group].dropna(subset=["score"])
    sub = sub.sort_values(["score", *method_cols], ascending=[False, *([True] * len(method_cols))])
    return sub.assign(rank=np.arange(1, len(sub) + 1)).reset_index(drop=True)


def leaderboard_value(x: float) -> float:
    """Display a [0, 1] score as the leaderboard does: rounded to 3 decimals, ×100, 1 decimal."""
    return round(round(float(x), 3) * 100, 1)


@dataclass(frozen=True)
class Leaderboard:
    """Every table of a GEO-Bench-style leaderboard computed from one results table."""

    per_dataset: pd.DataFrame
    groups: pd.DataFrame
    normalizer: Normalizer
    method_cols: tuple[str, ...]
    dataset_col: str


def compute_leaderboard(
    df: pd.DataFrame,
    groups: Mapping[str, Iterable[str]] | None = GEOBENCH2_CAPABILITY_GROUPS,
    method_cols: Sequence[str] = ("backbone",),
    dataset_col: str = DATASET_COL,
    score_col: str = SCORE_COL,
    normalizer: Normalizer | None = None,
    n_bootstrap: int = GEOBENCH2_N_BOOTSTRAP,
    seed: int = GEOBENCH2_BOOTSTRAP_SEED,
    ci: float = 0.95,
) -> Leaderboard:
    """Per-dataset scores and per-group aggregates with one normaliser.

    Defaults are the GEO-Bench-2 leaderboard's (its capability groups, 100 replicates, seed 100);
    pass ``normalizer=Normalizer.from_json(".../normalizer.json")`` to score against its ranges.
    The per-dataset intervals of the mean use at least 1,000 resamples (the leaderboard has none).
    """
    data = _clean(df, [*method_cols, dataset_col], score_col)
    norm = normalizer or Normalizer.from_table(data, dataset_col, score_col)
    per_ds = per_dataset_scores(
        data,
        method_cols,
        dataset_col,
        score_col,
        norm,
        n_bootstrap=max(n_bootstrap, 1000),
        seed=seed,
        ci=ci,
    )
    grp = aggregate_groups(
        data, groups, method_cols, dataset_col, score_col, norm, n_bootstrap, seed, ci
    )
    return Leaderboard(per_ds, grp, norm, tuple(method_cols), dataset_col)
