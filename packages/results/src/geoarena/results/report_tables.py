"""The report's display tables (strings, ×100 with one decimal) and the notes that explain them.

Every table here is what a reader sees in Markdown, HTML and the terminal alike; the numbers
behind them are in :class:`~geoarena.results.report_data.ReportData` (and its CSV files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from geoarena.results.report_data import (
    MODALITY_PREFIX,
    NEEDS_EVERY_TASK,
    OVERALL,
    ReportData,
    by_reason,
)

NA = "—"


def method_label(row: Mapping[str, object] | pd.Series, method_cols: Sequence[str]) -> str:
    """Human label of a method, e.g. ``"eo/resnet18 · finetune · 10% labels"``."""
    parts = []
    for col in method_cols:
        v = row[col]
        if col == "label_fraction":
            try:
                f = float(v)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                parts.append(str(v))
                continue
            if not math.isclose(f, 1.0):
                parts.append(f"{f:.0%} labels")
        else:
            parts.append(str(v))
    return " · ".join(parts)


def group_label(group: str) -> str:
    """Display name of a headline group: ``"modality eo"`` → ``"eo"``."""
    return group[len(MODALITY_PREFIX) :] if group.startswith(MODALITY_PREFIX) else group


def fmt(x: float | None, scale: float) -> str:
    """``x × scale`` with one decimal, or an em dash when there is no finite value."""
    return NA if x is None or not np.isfinite(x) else f"{x * scale:.1f}"


def fmt_ci(lo: float, hi: float, scale: float) -> str:
    """``[lo, hi] × scale``, or an em dash."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NA
    return f"[{lo * scale:.1f}, {hi * scale:.1f}]"


def with_labels(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """``df`` with a ``method`` column of :func:`method_label`."""
    if df.empty:
        return df
    return df.assign(method=[method_label(r, cols) for _, r in df.iterrows()])


def ci_col(report: ReportData) -> str:
    """Header of the confidence-interval columns, e.g. ``"95% CI"``."""
    return f"{report.config.ci:.0%} CI"


def headline_table(report: ReportData) -> pd.DataFrame:
    """One row per (headline group, method): a score, or why there is none.

    Modality groups first (alphabetical), then ``overall``. Within a group the scored methods come
    best first, then the others with their reason in the score column. When more than one
    modality ran and no method ran every task, ``overall`` is one row that says so.
    """
    c = report.config
    cols = ["group", "method", "tasks", "score", ci_col(report), "IQM"]
    if report.overall.empty:
        return pd.DataFrame(columns=cols)
    df = with_labels(report.overall, c.method_cols)
    order = [g for g in dict.fromkeys(df["group"]) if g != OVERALL] + [OVERALL]
    rows = []
    for group in order:
        sub = df[df["group"] == group]
        if sub.empty:
            continue
        n_tasks = int(sub["n_tasks"].iloc[0])
        if group == OVERALL and len(order) > 1 and sub["score"].isna().all():
            rows.append(
                {
                    "group": group,
                    "method": f"(no method ran all {n_tasks} tasks)",
                    "tasks": f"{int(sub['n_datasets'].max())}/{n_tasks}",
                    "score": NEEDS_EVERY_TASK,
                    ci_col(report): NA,
                    "IQM": NA,
                }
            )
            continue
        sub = sub.assign(_order=sub["score"].fillna(-np.inf))
        sub = sub.sort_values(["_order", "method"], ascending=[False, True], kind="stable")
        for _, r in sub.iterrows():
            scored = np.isfinite(r["score"])
            rows.append(
                {
                    "group": group_label(group),
                    "method": r["method"],
                    "tasks": f"{int(r['n_datasets'])}/{n_tasks}",
                    "score": fmt(r["score"], c.scale) if scored else r["note"],
                    ci_col(report): fmt_ci(r["ci_low"], r["ci_high"], c.scale),
                    "IQM": fmt(r["iqm"], c.scale),
                }
            )
    return pd.DataFrame(rows, columns=cols)


#: Earlier name of :func:`headline_table`.
overall_table = headline_table


def metric_label(report: ReportData, task: str) -> str:
    """The task's metric name, marked ↓ when lower is better and ``raw`` when not a fraction."""
    name = report.metric_names.get(task) or report.config.score_col
    marks = []
    if task in report.lower_is_better:
        marks.append("↓ lower is better")
    if task not in report.fraction_tasks:
        marks.append("raw units")
    return f"{name} ({', '.join(marks)})" if marks else name


def per_task_table(report: ReportData) -> pd.DataFrame:
    """One row per (task, method), best first within a task (by normalised IQM, then mean)."""
    c = report.config
    if report.per_task.empty:
        return pd.DataFrame()
    df = with_labels(report.per_task, c.method_cols)
    best = np.where(
        df[c.dataset_col].astype(str).isin(list(report.lower_is_better)), -df["mean"], df["mean"]
    )
    df = df.assign(_norm=df["normalized_iqm"].fillna(-np.inf), _best=best)
    df = df.sort_values([c.dataset_col, "_norm", "_best"], ascending=[True, False, False])
    cost = inference_cost(report)
    rows = []
    for _, r in df.iterrows():
        task = str(r[c.dataset_col])
        scale = c.scale if task in report.fraction_tasks else 1.0
        rows.append(
            {
                "task": task,
                "metric": metric_label(report, task),
                "method": r["method"],
                "mean": fmt(r["mean"], scale),
                ci_col(report): fmt_ci(r["ci_low"], r["ci_high"], scale),
                "± s.e.": fmt(r["sem"], scale),
                "seeds": f"{int(r['n_seeds'])}",
                "norm. IQM": fmt(r["normalized_iqm"], c.scale)
                if not r["note"]
                else f"n/a ({r['note'].split(';')[0]})",
                **({"inference": cost.get((task, r["method"]), NA)} if cost else {}),
            }
        )
    return pd.DataFrame(rows)


def inference_cost(report: ReportData) -> dict[tuple[str, str], str]:
    """(task, method) → median ms per sample and units/s over seeds, with batch size and device
    (the ``latency_*``/``throughput*`` columns of the results table)."""
    c = report.config
    df = report.results
    if "latency_ms" not in df.columns or df.empty:
        return {}
    df = df[pd.to_numeric(df["latency_ms"], errors="coerce").notna()]
    if df.empty:
        return {}
    df = with_labels(df, c.method_cols)
    out = {}
    for (task, method), g in df.groupby([c.dataset_col, "method"]):
        unit = str(g["throughput_unit"].iloc[0]) or "sample"
        ms = pd.to_numeric(g["latency_ms"]).median()
        rate = pd.to_numeric(g["throughput"]).median()
        batch = pd.to_numeric(g["latency_batch_size"]).median()
        out[(str(task), str(method))] = (
            f"{ms:.3g} ms/sample, {rate:.3g} {unit}s/s (batch {batch:.3g}, "
            f"{g['latency_device'].iloc[0] or 'cpu'})"
        )
    return out


def capability_table(report: ReportData) -> pd.DataFrame:
    """Methods × capability groups: normalised score ×100 and its CI, or why there is none.

    Only groups of at least two tasks in which some method has a score are shown (a one-task
    group repeats that task's row; an all-n/a column says nothing), and only methods with a
    figure in one of them; :func:`capability_notes` names the groups left out.
    """
    c = report.config
    shown = _shown_capability_groups(report)
    if not shown:
        return pd.DataFrame()
    df = with_labels(report.capabilities, c.method_cols)
    df = df[df["group"].isin(shown)]
    cells = {}
    for _, r in df.iterrows():
        if np.isfinite(r["score"]):
            text = f"{fmt(r['score'], c.scale)} {fmt_ci(r['ci_low'], r['ci_high'], c.scale)}"
        else:
            text = f"n/a ({int(r['n_datasets'])}/{int(r['n_tasks'])} tasks)"
        cells[(r["method"], r["group"])] = text
    methods = sorted({m for m, _ in cells})
    return pd.DataFrame(
        [[m, *[cells.get((m, g), NA) for g in shown]] for m in methods],
        columns=["method", *shown],
    )


def _shown_capability_groups(report: ReportData) -> list[str]:
    cap = report.capabilities
    if cap.empty:
        return []
    scored = set(cap.loc[cap["score"].notna() & (cap["n_tasks"] >= 2), "group"])
    return [g for g in dict.fromkeys(cap["group"]) if g in scored]


def failed_table(report: ReportData) -> pd.DataFrame:
    """Cells that did not finish (status and, when present, the run id and error)."""
    c = report.config
    cols = [
        col
        for col in (c.dataset_col, *c.method_cols, "seed", "status", "mlflow_run_id", "error")
        if col in report.failed.columns
    ]
    if report.failed.empty:
        return pd.DataFrame(columns=cols)
    return report.failed[cols].astype(str)


def summary_lines(report: ReportData) -> list[str]:
    """What ran, from which code, and which tasks are left out of the normalised figures."""
    c = report.config
    shas = sorted(
        {str(s) for s in report.results.get("git_sha", pd.Series(dtype=str)).dropna() if str(s)}
    )
    n_tasks = report.finished[c.dataset_col].nunique() if not report.finished.empty else 0
    mods = [group_label(g) for g in report.headline_groups if g != OVERALL]
    lines = [
        f"Runs: {len(report.finished)} finished, {len(report.failed)} not finished; "
        f"{n_tasks} tasks.",
    ]
    if mods:
        lines.append(f"Modalities: {', '.join(mods)}.")
    src = report.normalizer.source
    lines.append(
        "Normalisation ranges: "
        + ("min and max over every run of each task in this table." if src == "table" else src)
    )
    if report.unranked:
        lines.append(
            "Not normalised (no normalised score, no group score): "
            + by_reason(report.unranked, report.unranked, short=False)
            + ". A min–max range over one method's seeds would only spread them over 0–100."
        )
    lines.append(f"Code version(s): {', '.join(shas) if shas else 'not recorded'}.")
    return lines


def headline_notes(report: ReportData) -> list[str]:
    """What the headline's columns mean."""
    c = report.config
    return [
        "group: a modality (its tasks) or overall (every task); a method is scored on a group "
        "only when it ran every task of the group — 'tasks' says how many it ran.",
        f"score: normalised score ×{c.scale:g}, the GEO-Bench-2 leaderboard's figure — each run "
        f"is min–max normalised per task (0 = the task's worst run, {c.scale:g} = its best), the "
        "method's runs on the group's tasks are pooled, their interquartile mean (IQM: the mean "
        f"of the middle 50 %) is taken on each of {c.n_bootstrap} bootstrap resamples of the "
        "seeds, and the score is the mean of those IQMs.",
        f"{ci_col(report)}: the percentile interval of the same resampled IQMs — where the "
        "score would land with other seeds; when two methods' intervals overlap widely, these seeds "
        "do not separate them.",
        "IQM: the interquartile mean of the method's normalised runs as they are (no resampling).",
    ]


def per_task_notes(report: ReportData) -> list[str]:
    """What the per-task columns mean."""
    c = report.config
    return [
        f"mean: the task's own metric averaged over seeds, ×{c.scale:g} when the metric is a "
        "fraction (as on the GEO-Bench-2 leaderboard), else in its raw units; higher is better "
        "unless marked ↓.",
        f"{ci_col(report)}: percentile bootstrap interval of that mean ({c.n_bootstrap} "
        f"resamples of the seeds, RNG seed {c.seed}); ± s.e.: standard error of the mean over "
        "seeds (— with one seed).",
        f"norm. IQM: interquartile mean over seeds of the min–max normalised runs, ×{c.scale:g} "
        "(the task's part of the group scores); n/a when the task cannot be normalised.",
    ]


def capability_notes(report: ReportData) -> list[str]:
    """What the capability cells mean, and which groups are not shown."""
    notes = [
        f"Each cell: group score ×{report.config.scale:g} and its {ci_col(report)}, computed like "
        "the headline's over the tasks tagged with the capability; n/a (k/n tasks) when the "
        "method ran k of the group's n tasks or a task of the group cannot be normalised; — when "
        "it ran none."
    ]
    if not report.capabilities.empty:
        shown = set(_shown_capability_groups(report))
        cap = report.capabilities.drop_duplicates("group")
        single = [g for g, n in zip(cap["group"], cap["n_tasks"]) if n < 2]
        empty = [g for g in cap["group"] if g not in shown and g not in single]
        if single:
            notes.append(f"One-task groups (see the per-task table): {', '.join(single)}.")
        if empty:
            notes.append(f"Groups where no method has a score: {', '.join(empty)}.")
    return notes
