"""The report's plots as PNG bytes (matplotlib's Agg canvas: no display, no pyplot state)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geoarena.results.report_data import ReportData
from geoarena.results.report_tables import (
    capability_table,
    group_label,
    metric_label,
    with_labels,
)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _errbars(df: pd.DataFrame, value: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    v = df[value].to_numpy(dtype=float) * scale
    lo = df["ci_low"].to_numpy(dtype=float) * scale
    hi = df["ci_high"].to_numpy(dtype=float) * scale
    err = np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])
    return v, np.nan_to_num(err)


def plot_per_task(report: ReportData) -> Figure:
    """One panel per task: mean score over seeds per method with its bootstrap CI."""
    c = report.config
    df = with_labels(report.per_task, c.method_cols)
    tasks = sorted(df[c.dataset_col].astype(str).unique())
    ncols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / ncols)
    n_methods = max(int(df.groupby(c.dataset_col).size().max()), 1)
    fig = Figure(figsize=(5.0 * ncols, (0.4 * n_methods + 1.4) * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, task in zip(axes.ravel(), tasks):
        scale = c.scale if task in report.fraction_tasks else 1.0
        sub = df[df[c.dataset_col].astype(str) == task].sort_values("mean")
        v, err = _errbars(sub, "mean", scale)
        y = np.arange(len(sub))
        ax.barh(y, v, xerr=err, color="#4C72B0", ecolor="black", capsize=3)
        ax.set_yticks(y, sub["method"].tolist(), fontsize=8)
        ax.set_title(f"{task}\n{metric_label(report, task)}", fontsize=9)
        if len(v) and np.all(v >= 0):  # scores from 0 up: the axis starts at 0, also when all are 0
            ax.set_xlim(0, max(float(np.nanmax(v + err[1])), scale if scale != 1.0 else 1.0) * 1.02)
        unit = f"×{scale:g}" if scale != 1.0 else "raw units"
        ax.set_xlabel(f"mean over seeds ({unit}), {c.ci:.0%} CI", fontsize=8)
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _scored_groups(report: ReportData) -> list[str]:
    if report.overall.empty:
        return []
    scored = report.overall.dropna(subset=["score"])
    return [g for g in dict.fromkeys(report.overall["group"]) if (scored["group"] == g).any()]


def plot_aggregate(report: ReportData) -> Figure:
    """Normalised score per method of each headline group that has one, with its bootstrap CI."""
    c = report.config
    df = with_labels(report.overall, c.method_cols).dropna(subset=["score"])
    groups = _scored_groups(report)
    n_methods = max(int(df.groupby("group").size().max()) if not df.empty else 1, 1)
    ncols = min(3, max(len(groups), 1))
    nrows = math.ceil(max(len(groups), 1) / ncols)
    fig = Figure(figsize=(5.0 * ncols, (0.4 * n_methods + 1.4) * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, group in zip(axes, groups):
        sub = df[df["group"] == group].sort_values("score")
        v, err = _errbars(sub, "score", c.scale)
        y = np.arange(len(sub))
        ax.barh(y, v, xerr=err, color="#55A868", ecolor="black", capsize=3)
        ax.set_yticks(y, sub["method"].tolist(), fontsize=8)
        ax.set_xlim(0, max(c.scale, float(np.nanmax(v + err[1]))) * 1.02)
        n_tasks = int(sub["n_tasks"].iloc[0])
        ax.set_title(f"{group_label(group)} ({n_tasks} tasks): normalised score", fontsize=9)
        ax.set_xlabel(f"×{c.scale:g}, {c.ci:.0%} stratified bootstrap CI", fontsize=8)
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_capabilities(report: ReportData) -> Figure:
    """Heat map of each method's normalised score per capability group (×100; n/a: not scored)."""
    c = report.config
    table = capability_table(report)
    groups = list(table.columns[1:])
    df = with_labels(report.capabilities, c.method_cols)
    df = df[df["group"].isin(groups) & df["method"].isin(table["method"])]
    wide = df.pivot_table(
        index="method", columns="group", values="score", aggfunc="first", dropna=False
    )
    wide = wide.reindex(index=list(table["method"]), columns=groups)
    vals = wide.to_numpy(dtype=float) * c.scale
    # the table's words for a missing score: "n/a" (ran part of the group), "" (ran none of it)
    words = table.set_index("method").loc[list(wide.index), groups].to_numpy()
    fig = Figure(figsize=(1.1 * wide.shape[1] + 4, 0.4 * wide.shape[0] + 2))
    ax = fig.subplots()
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="viridis", vmin=0, vmax=c.scale, aspect="auto")
    ax.set_xticks(np.arange(wide.shape[1]), list(wide.columns), rotation=35, ha="right", fontsize=8)
    ax.set_yticks(np.arange(wide.shape[0]), list(wide.index), fontsize=8)
    for (i, j), v in np.ndenumerate(vals):
        ax.text(
            j,
            i,
            f"{v:.1f}" if np.isfinite(v) else ("n/a" if words[i, j].startswith("n/a") else ""),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if np.isfinite(v) and v < 0.6 * c.scale else "black",
        )
    fig.colorbar(im, ax=ax, label=f"normalised score ×{c.scale:g}")
    ax.set_title("Capability groups: normalised score", fontsize=9)
    fig.tight_layout()
    return fig


def report_figures(report: ReportData) -> dict[str, bytes]:
    """PNG bytes of every plot the report has data for, keyed by file name."""
    figs: dict[str, bytes] = {}
    if not report.per_task.empty:
        figs["per_task.png"] = _png(plot_per_task(report))
    if _scored_groups(report):
        figs["aggregate.png"] = _png(plot_aggregate(report))
    if not capability_table(report).empty:
        figs["capabilities.png"] = _png(plot_capabilities(report))
    return figs
