"""Every number a report shows, computed once from a results table (:func:`build_report`).

The report's groups: a *headline* with one group per modality that ran plus ``overall`` (every
task), and the capability groups. A method gets a group score only when it ran every task of the
group; otherwise the report says why (``note``). When the normalisation ranges come from the table
itself, a task needs runs of at least two methods: with one method, min–max normalisation would
only spread that method's own seeds over 0–1 (a 0/50/100 artefact), so such a task is left out of
every normalised figure and flagged instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geoarena.results.aggregate import aggregate_groups, per_dataset_scores
from geoarena.results.capability import GEOBENCH2_CAPABILITY_GROUPS, capability_groups
from geoarena.results.normalize import Normalizer
from geoarena.results.schema import SCORE_COL, validate_results

FINISHED = "FINISHED"
OVERALL = "overall"
MODALITY_PREFIX = "modality "
#: Fewest methods a task needs for a normalisation range taken from the table itself.
MIN_METHODS_FOR_TABLE_RANGE = 2
NEEDS_EVERY_TASK = "n/a — needs every task of the group"
NOT_NORMALISABLE = "n/a — cannot normalise"
_SCORE_COLS = ("iqm", "score", "score_sem", "ci_low", "ci_high")


@dataclass(frozen=True)
class ReportConfig:
    """How results are grouped and how the intervals are drawn.

    A *method* is one value of ``method_cols`` (by default a model under one protocol and label
    fraction); the runs of a method on a task are its seeds. ``n_bootstrap`` resamples with RNG
    seed ``seed`` give the intervals (level ``ci``).
    """

    title: str = "GeoArena benchmark report"
    method_cols: tuple[str, ...] = ("model", "protocol", "label_fraction")
    dataset_col: str = "task"
    score_col: str = SCORE_COL
    n_bootstrap: int = 1000
    seed: int = 0
    ci: float = 0.95
    scale: float = 100.0


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, as DataFrames (also written as CSV).

    ``per_task``: one row per (method, task) (:func:`~geoarena.results.aggregate.per_dataset_scores`
    plus ``n_methods`` and ``note``); ``overall``: the headline groups and ``capabilities`` the
    capability groups (:func:`~geoarena.results.aggregate.aggregate_groups` plus ``n_tasks`` and
    ``note``). ``unranked`` maps each task left out of the normalised figures to the reason.
    """

    config: ReportConfig
    results: pd.DataFrame
    finished: pd.DataFrame
    failed: pd.DataFrame
    per_task: pd.DataFrame
    overall: pd.DataFrame
    capabilities: pd.DataFrame
    normalizer: Normalizer
    metric_names: dict[str, str] = field(default_factory=dict)
    unranked: dict[str, str] = field(default_factory=dict)
    lower_is_better: frozenset[str] = frozenset()
    fraction_tasks: frozenset[str] = frozenset()
    headline_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)


def headline_groups(finished: pd.DataFrame, dataset_col: str) -> dict[str, tuple[str, ...]]:
    """``overall`` (every task) and, when more than one modality ran, one group per modality."""
    tasks = tuple(sorted(finished[dataset_col].astype(str).unique()))
    groups: dict[str, tuple[str, ...]] = {OVERALL: tasks}
    if "modality" in finished.columns:
        by_mod = finished.groupby(finished["modality"].fillna("").astype(str))[dataset_col]
        mods = {m: tuple(sorted(s.astype(str).unique())) for m, s in by_mod if m}
        if len(mods) > 1:  # one modality: its group would repeat "overall"
            groups.update({f"{MODALITY_PREFIX}{m}": t for m, t in sorted(mods.items())})
    return groups


def _lower_is_better(finished: pd.DataFrame, dataset_col: str) -> frozenset[str]:
    """Tasks whose metric improves downwards, from the runner's ``direction`` column."""
    if "direction" not in finished.columns:
        return frozenset()
    minimize = finished["direction"].fillna("").astype(str).str.lower().eq("minimize")
    return frozenset(finished.loc[minimize, dataset_col].astype(str))


def _tags_from_table(finished: pd.DataFrame, dataset_col: str) -> dict[str, tuple[str, ...]] | None:
    """Task → capability tags from the runner's comma-joined ``capabilities`` column, if any."""
    if "capabilities" not in finished.columns:
        return None
    tags: dict[str, tuple[str, ...]] = {}
    for task, col in finished.groupby(dataset_col)["capabilities"]:
        found = {t.strip() for v in col.dropna().astype(str) for t in v.split(",") if t.strip()}
        if found:
            tags[str(task)] = tuple(sorted(found))
    return tags or None


def methods_per_task(finished: pd.DataFrame, config: ReportConfig) -> dict[str, int]:
    """Number of distinct methods with a finished run, per task."""
    counts = finished.groupby(config.dataset_col)[list(config.method_cols)].apply(
        lambda g: len(g.drop_duplicates())
    )
    return {str(t): int(n) for t, n in counts.items()}


def unranked_tasks(n_methods: Mapping[str, int], normalizer: Normalizer) -> dict[str, str]:
    """Tasks whose normalised scores would carry no ranking information, with the reason.

    A range taken from the table (``normalizer.source == "table"``) needs runs of at least
    :data:`MIN_METHODS_FOR_TABLE_RANGE` methods; any range needs ``max > min``.
    """
    out: dict[str, str] = {}
    for task, n in sorted(n_methods.items()):
        lo, hi = normalizer.ranges.get(task, (0.0, 1.0))
        if normalizer.source == "table" and n < MIN_METHODS_FOR_TABLE_RANGE:
            out[task] = f"{n} method; normalising needs ≥ {MIN_METHODS_FOR_TABLE_RANGE}"
        elif hi == lo:
            out[task] = "every run scored the same"
    return out


def by_reason(tasks: Iterable[str], unranked: Mapping[str, str], short: bool = True) -> str:
    """``"a, b (1 method); c (every run scored the same)"``: tasks grouped by their reason."""
    by: dict[str, list[str]] = {}
    for t in tasks:
        by.setdefault(unranked[t].split(";")[0] if short else unranked[t], []).append(t)
    return "; ".join(f"{', '.join(ts)} ({why})" for why, ts in by.items())


def annotate_groups(
    agg: pd.DataFrame, groups: Mapping[str, Iterable[str]], unranked: Mapping[str, str]
) -> pd.DataFrame:
    """Add ``n_tasks`` and ``note`` to group aggregates; no score where a task is unranked.

    ``note`` is empty for a scored row, else why there is no score: the method did not run every
    task of the group, or a task of the group cannot be normalised (``unranked``).
    """
    if agg.empty:
        return agg.assign(n_tasks=pd.Series(dtype=int), note=pd.Series(dtype=str))
    sizes = {g: len(dict.fromkeys(ds)) for g, ds in groups.items()}
    blocked = {g: [t for t in dict.fromkeys(ds) if t in unranked] for g, ds in groups.items()}
    out = agg.assign(n_tasks=agg["group"].map(sizes).astype(int), note="")
    for i, row in out.iterrows():
        bad = blocked.get(row["group"], [])
        if row["n_datasets"] < row["n_tasks"]:
            note = f"{NEEDS_EVERY_TASK} (ran {int(row['n_datasets'])} of {int(row['n_tasks'])})"
        elif bad:
            note = f"{NOT_NORMALISABLE}: " + by_reason(bad, unranked)
        else:
            continue
        out.loc[i, "note"] = note
        out.loc[i, list(_SCORE_COLS)] = np.nan
    return out


def _fraction_tasks(finished: pd.DataFrame, config: ReportConfig) -> frozenset[str]:
    """Tasks whose scores all lie in [0, 1]: shown ×``scale`` like the leaderboard's."""
    score = pd.to_numeric(finished[config.score_col], errors="coerce")
    inside = score.between(0.0, 1.0).groupby(finished[config.dataset_col].astype(str)).all()
    return frozenset(str(t) for t, ok in inside.items() if ok)


def build_report(
    results: pd.DataFrame,
    config: ReportConfig = ReportConfig(),
    normalizer: Normalizer | None = None,
    capability_tags: Mapping[str, Iterable[str]] | None = None,
) -> ReportData:
    """Compute every table of the report from a results table (see ``geoarena.results.schema``).

    Only FINISHED rows with a finite score enter the statistics; the others are listed as failed.
    ``normalizer`` defaults to the min–max ranges of the table itself; tasks whose ``direction``
    column says ``minimize`` are normalised so that 1 is still best. ``capability_tags`` maps a
    task to its capability tags; without it the tags come from the table's comma-joined
    ``capabilities`` column, and without that the GEO-Bench-2 capability groups are used (each
    only when all its datasets are in the table).
    """
    validate_results(results, columns=[config.dataset_col, config.score_col, *config.method_cols])
    score = pd.to_numeric(results[config.score_col], errors="coerce")
    ok = np.isfinite(score)
    if "status" in results.columns:
        ok &= results["status"].fillna(FINISHED).astype(str).eq(FINISHED)
    finished = results[ok].reset_index(drop=True)
    failed = results[~ok].reset_index(drop=True)
    if finished.empty:
        empty = pd.DataFrame()
        return ReportData(
            config, results, finished, failed, empty, empty, empty, normalizer or Normalizer({})
        )
    keys = dict(
        method_cols=config.method_cols, dataset_col=config.dataset_col, score_col=config.score_col
    )
    lower = _lower_is_better(finished, config.dataset_col)
    if normalizer is None:
        norm = Normalizer.from_table(
            finished, config.dataset_col, config.score_col, lower_is_better=lower
        )
    else:
        norm = replace(normalizer, lower_is_better=normalizer.lower_is_better | lower)
    n_methods = methods_per_task(finished, config)
    unranked = unranked_tasks(n_methods, norm)
    stats = dict(normalizer=norm, n_bootstrap=config.n_bootstrap, seed=config.seed, ci=config.ci)

    per_task = per_dataset_scores(finished, **keys, **stats)
    tasks = per_task[config.dataset_col].astype(str)
    flagged = tasks.isin(list(unranked)).to_numpy()
    per_task = per_task.assign(n_methods=tasks.map(n_methods), note=tasks.map(unranked).fillna(""))
    per_task.loc[flagged, ["normalized_iqm", "normalized_sem"]] = np.nan

    heads = headline_groups(finished, config.dataset_col)
    overall = annotate_groups(aggregate_groups(finished, heads, **keys, **stats), heads, unranked)
    present = set(finished[config.dataset_col].astype(str))
    if capability_tags is None:
        capability_tags = _tags_from_table(finished, config.dataset_col)
    if capability_tags is None:
        groups: Mapping[str, Iterable[str]] = GEOBENCH2_CAPABILITY_GROUPS
    else:
        groups = capability_groups({t: tg for t, tg in capability_tags.items() if t in present})
    capabilities = annotate_groups(
        aggregate_groups(finished, groups, **keys, **stats), groups, unranked
    )
    metric_names: dict[str, str] = {}
    if "metric" in finished.columns:
        for task, names in finished.groupby(config.dataset_col)["metric"]:
            metric_names[str(task)] = ", ".join(sorted(names.dropna().astype(str).unique()))
    return ReportData(
        config,
        results,
        finished,
        failed,
        per_task,
        overall,
        capabilities,
        norm,
        metric_names,
        unranked,
        lower,
        _fraction_tasks(finished, config),
        heads,
    )
