"""Leaderboard reports from a results table: terminal (rich), Markdown and self-contained HTML.

``write_report`` is what the suite runner and ``tools/report.py`` call: it computes the
GEO-Bench statistics of :mod:`geoarena.results.aggregate`, prints the leaderboard, writes
``report.md`` (with PNG plots beside it), ``report.html`` (the same plots embedded as base64 PNG,
so the one file can be mailed or logged as an MLflow artifact) and the tables as CSV, and returns
the list of files it wrote.

Scores are shown ×100 with one decimal, as on the GEO-Bench-2 leaderboard.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # no pyplot: the Agg canvas needs no display or global state

from geoarena.results.aggregate import (
    GEOBENCH2_CAPABILITY_GROUPS,
    Normalizer,
    aggregate_groups,
    capability_groups,
    per_dataset_scores,
)
from geoarena.results.schema import validate_results

FINISHED = "FINISHED"


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
    score_col: str = "test metric"
    n_bootstrap: int = 1000
    seed: int = 0
    ci: float = 0.95
    scale: float = 100.0


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, as DataFrames (also written as CSV)."""

    config: ReportConfig
    results: pd.DataFrame
    finished: pd.DataFrame
    failed: pd.DataFrame
    per_task: pd.DataFrame
    overall: pd.DataFrame
    capabilities: pd.DataFrame
    normalizer: Normalizer
    metric_names: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- statistics


def _overall_groups(finished: pd.DataFrame, dataset_col: str) -> dict[str, list[str]]:
    tasks = sorted(finished[dataset_col].astype(str).unique())
    groups: dict[str, list[str]] = {"overall": tasks}
    if "modality" in finished.columns:
        by_mod = finished.groupby(finished["modality"].fillna("").astype(str))[dataset_col]
        mods = {m: sorted(s.astype(str).unique()) for m, s in by_mod if m}
        if len(mods) > 1:  # one modality: its group would repeat "overall"
            groups.update({f"modality {m}": t for m, t in sorted(mods.items())})
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


def build_report(
    results: pd.DataFrame,
    config: ReportConfig = ReportConfig(),
    normalizer: Normalizer | None = None,
    capability_tags: Mapping[str, Iterable[str]] | None = None,
) -> ReportData:
    """Compute every table of the report from a results table (see ``results_schema``).

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
    keys = dict(
        method_cols=config.method_cols, dataset_col=config.dataset_col, score_col=config.score_col
    )
    if finished.empty:
        empty = pd.DataFrame()
        return ReportData(
            config, results, finished, failed, empty, empty, empty, normalizer or Normalizer({})
        )
    lower = _lower_is_better(finished, config.dataset_col)
    if normalizer is None:
        norm = Normalizer.from_table(
            finished, config.dataset_col, config.score_col, lower_is_better=lower
        )
    else:
        norm = replace(normalizer, lower_is_better=normalizer.lower_is_better | lower)
    stats = dict(normalizer=norm, n_bootstrap=config.n_bootstrap, seed=config.seed, ci=config.ci)
    per_task = per_dataset_scores(finished, **keys, **stats)
    overall = aggregate_groups(
        finished, _overall_groups(finished, config.dataset_col), **keys, **stats
    )
    present = set(finished[config.dataset_col].astype(str))
    if capability_tags is None:
        capability_tags = _tags_from_table(finished, config.dataset_col)
    if capability_tags is None:
        groups: Mapping[str, Iterable[str]] = GEOBENCH2_CAPABILITY_GROUPS
    else:
        tags = {t: tg for t, tg in capability_tags.items() if t in present}
        groups = capability_groups(tags)
    capabilities = aggregate_groups(finished, groups, **keys, **stats)
    metric_names: dict[str, str] = {}
    if "Metric" in finished.columns:
        for task, names in finished.groupby(config.dataset_col)["Metric"]:
            metric_names[str(task)] = ", ".join(sorted(names.dropna().astype(str).unique()))
    return ReportData(
        config, results, finished, failed, per_task, overall, capabilities, norm, metric_names
    )


# --------------------------------------------------------------------------- formatting helpers


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


def _fmt(x: float, scale: float) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x * scale:.1f}"


def _fmt_ci(lo: float, hi: float, scale: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "—"
    return f"[{lo * scale:.1f}, {hi * scale:.1f}]"


def _with_labels(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    return (
        df.assign(method=[method_label(r, cols) for _, r in df.iterrows()]) if not df.empty else df
    )


def overall_table(report: ReportData) -> pd.DataFrame:
    """Display table: one row per (group, method), best first within a group.

    Groups in computation order ("overall" first); groups where no method ran every task are left
    out, methods missing a task of a shown group show "—".
    """
    c = report.config
    if report.overall.empty:
        return pd.DataFrame(columns=["group", "method", "score", f"{c.ci:.0%} CI", "IQM", "tasks"])
    df = _with_labels(report.overall, c.method_cols)
    # A group no method covers completely has nothing to rank (the summary says why).
    scored = df.groupby("group", sort=False)["score"].transform(lambda s: s.notna().any())
    df = df[scored]
    group_rank = {g: i for i, g in enumerate(dict.fromkeys(report.overall["group"]))}
    df = df.assign(_group=df["group"].map(group_rank), _order=df["score"].fillna(-np.inf))
    df = df.sort_values(["_group", "_order"], ascending=[True, False], kind="stable")
    rows = [
        {
            "group": r["group"],
            "method": r["method"],
            "score": _fmt(r["score"], c.scale),
            f"{c.ci:.0%} CI": _fmt_ci(r["ci_low"], r["ci_high"], c.scale),
            "IQM": _fmt(r["iqm"], c.scale),
            "tasks": f"{int(r['n_datasets'])}",
        }
        for _, r in df.iterrows()
    ]
    return pd.DataFrame(rows)


def per_task_table(report: ReportData) -> pd.DataFrame:
    """Display table: one row per (task, method), best mean first within a task."""
    c = report.config
    if report.per_task.empty:
        return pd.DataFrame()
    df = _with_labels(report.per_task, c.method_cols)
    # best first: the normalised IQM is direction-aware (1 = best run), the raw mean is not
    df = df.sort_values([c.dataset_col, "normalized_iqm"], ascending=[True, False], kind="stable")
    rows = [
        {
            "task": r[c.dataset_col],
            "metric": report.metric_names.get(str(r[c.dataset_col]), c.score_col),
            "method": r["method"],
            "mean": _fmt(r["mean"], c.scale),
            f"{c.ci:.0%} CI": _fmt_ci(r["ci_low"], r["ci_high"], c.scale),
            "± s.e.": _fmt(r["sem"], c.scale),
            "seeds": f"{int(r['n_seeds'])}",
            "norm. IQM": _fmt(r["normalized_iqm"], c.scale),
        }
        for _, r in df.iterrows()
    ]
    return pd.DataFrame(rows)


def capability_table(report: ReportData) -> pd.DataFrame:
    """Display table: methods × capability groups, normalised IQM score ×100 and its CI."""
    c = report.config
    if report.capabilities.empty:
        return pd.DataFrame()
    df = _with_labels(report.capabilities, c.method_cols)
    wide = df.pivot_table(
        index="method", columns="group", values="score", aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=list(dict.fromkeys(df["group"])))
    cells = {
        (
            r["method"],
            r["group"],
        ): f"{_fmt(r['score'], c.scale)} {_fmt_ci(r['ci_low'], r['ci_high'], c.scale)}"
        for _, r in df.iterrows()
        if np.isfinite(r["score"])
    }
    out = pd.DataFrame(
        [[cells.get((m, g), "—") for g in wide.columns] for m in wide.index],
        index=wide.index,
        columns=wide.columns,
    ).reset_index()
    out.columns.name = None
    return out


def failed_table(report: ReportData) -> pd.DataFrame:
    """Cells that did not finish (status and, when present, the run id)."""
    cols = [
        col
        for col in (
            report.config.dataset_col,
            *report.config.method_cols,
            "Seed",
            "status",
            "mlflow_run_id",
            "error",
        )
        if col in report.failed.columns
    ]
    return (
        report.failed[cols].astype(str) if not report.failed.empty else pd.DataFrame(columns=cols)
    )


# --------------------------------------------------------------------------- plots


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
    df = _with_labels(report.per_task, c.method_cols)
    tasks = sorted(df[c.dataset_col].astype(str).unique())
    ncols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / ncols)
    n_methods = max(int(df.groupby(c.dataset_col).size().max()), 1)
    fig = Figure(figsize=(5.0 * ncols, (0.4 * n_methods + 1.2) * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, task in zip(axes.ravel(), tasks):
        sub = df[df[c.dataset_col].astype(str) == task].sort_values("mean")
        v, err = _errbars(sub, "mean", c.scale)
        y = np.arange(len(sub))
        ax.barh(y, v, xerr=err, color="#4C72B0", ecolor="black", capsize=3)
        ax.set_yticks(y, sub["method"].tolist(), fontsize=8)
        ax.set_title(f"{task} ({report.metric_names.get(task, c.score_col)})", fontsize=9)
        ax.set_xlabel(f"score ×{c.scale:g}, {c.ci:.0%} CI over seeds", fontsize=8)
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_aggregate(report: ReportData) -> Figure:
    """Normalised IQM per method and group with its stratified-bootstrap interval."""
    c = report.config
    df = _with_labels(report.overall, c.method_cols).dropna(subset=["score"])
    groups = list(dict.fromkeys(report.overall["group"])) if not report.overall.empty else []
    groups = [g for g in groups if (df["group"] == g).any()] or groups[:1]
    n_methods = max(int(df.groupby("group").size().max()) if not df.empty else 1, 1)
    fig = Figure(figsize=(6.0 * max(len(groups), 1), 0.4 * n_methods + 1.5))
    axes = fig.subplots(1, max(len(groups), 1), squeeze=False).ravel()
    for ax, group in zip(axes, groups):
        sub = df[df["group"] == group].sort_values("score")
        v, err = _errbars(sub, "score", c.scale)
        y = np.arange(len(sub))
        ax.barh(y, v, xerr=err, color="#55A868", ecolor="black", capsize=3)
        ax.set_yticks(y, sub["method"].tolist(), fontsize=8)
        ax.set_xlim(0, max(c.scale, float(np.nanmax(v + err[1])) if len(v) else c.scale) * 1.02)
        ax.set_title(f"{group}: normalised IQM", fontsize=9)
        ax.set_xlabel(f"×{c.scale:g}, {c.ci:.0%} stratified bootstrap CI", fontsize=8)
        if sub.empty:
            ax.text(
                0.5,
                0.5,
                "no method ran every task",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    fig.tight_layout()
    return fig


def plot_capabilities(report: ReportData) -> Figure:
    """Heat map of the normalised IQM of each method per capability group (×100)."""
    c = report.config
    df = _with_labels(report.capabilities, c.method_cols)
    wide = df.pivot_table(
        index="method", columns="group", values="score", aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=list(dict.fromkeys(df["group"])))
    vals = wide.to_numpy(dtype=float) * c.scale
    fig = Figure(figsize=(1.1 * wide.shape[1] + 4, 0.4 * wide.shape[0] + 2))
    ax = fig.subplots()
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="viridis", vmin=0, vmax=c.scale, aspect="auto")
    ax.set_xticks(np.arange(wide.shape[1]), list(wide.columns), rotation=35, ha="right", fontsize=8)
    ax.set_yticks(np.arange(wide.shape[0]), list(wide.index), fontsize=8)
    for (i, j), v in np.ndenumerate(vals):
        ax.text(
            j,
            i,
            "—" if not np.isfinite(v) else f"{v:.1f}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if np.isfinite(v) and v < 0.6 * c.scale else "black",
        )
    fig.colorbar(im, ax=ax, label=f"normalised IQM ×{c.scale:g}")
    ax.set_title("Capability groups", fontsize=9)
    fig.tight_layout()
    return fig


def report_figures(report: ReportData) -> dict[str, bytes]:
    """PNG bytes of every plot the report has data for, keyed by file name."""
    figs: dict[str, bytes] = {}
    if not report.per_task.empty:
        figs["per_task.png"] = _png(plot_per_task(report))
    if not report.overall.empty:
        figs["aggregate.png"] = _png(plot_aggregate(report))
    if not report.capabilities.empty:
        figs["capabilities.png"] = _png(plot_capabilities(report))
    return figs


# --------------------------------------------------------------------------- renderers


def _md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "_none_\n"
    esc = [str(c).replace("|", "\\|") for c in df.columns]
    lines = ["| " + " | ".join(esc) + " |", "|" + "|".join("---" for _ in esc) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"


def _summary_lines(report: ReportData) -> list[str]:
    c = report.config
    shas = sorted(
        {str(s) for s in report.results.get("git_sha", pd.Series(dtype=str)).dropna() if str(s)}
    )
    return [
        f"Runs: {len(report.finished)} finished, {len(report.failed)} not finished; "
        f"{report.finished[c.dataset_col].nunique() if not report.finished.empty else 0} tasks.",
        f"Scores ×{c.scale:g}. Per task: mean over seeds with the {c.ci:.0%} percentile bootstrap "
        f"interval of the mean ({c.n_bootstrap} resamples, seed {c.seed}).",
        "Aggregates: per-task min–max normalisation "
        f"({'normalizer ' + report.normalizer.source if report.normalizer.source != 'table' else 'ranges of this table'}), "
        "interquartile mean of the pooled normalised runs, stratified bootstrap over seeds within "
        f"each task ({c.n_bootstrap} replicates, seed {c.seed}); a method missing a task of a group has no score there.",
        f"Code version(s): {', '.join(shas) if shas else 'not recorded'}.",
    ]


def render_markdown(report: ReportData, image_files: Mapping[str, str] | None = None) -> str:
    """Markdown report; ``image_files`` maps plot names to paths relative to the .md file."""
    images = dict(image_files or {})
    out = [f"# {report.config.title}\n", *[f"{line}  " for line in _summary_lines(report)], ""]
    out += ["## Overall: normalised IQM\n", _md_table(overall_table(report))]
    if "aggregate.png" in images:
        out.append(f"![aggregated normalised IQM]({images['aggregate.png']})\n")
    out += ["## Per task\n", _md_table(per_task_table(report))]
    if "per_task.png" in images:
        out.append(f"![per-task scores]({images['per_task.png']})\n")
    cap = capability_table(report)
    if not cap.empty:
        out += ["## Capability groups: normalised IQM\n", _md_table(cap)]
        if "capabilities.png" in images:
            out.append(f"![capability groups]({images['capabilities.png']})\n")
    out += ["## Cells that did not finish\n", _md_table(failed_table(report))]
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:left;font-size:0.9em}th{background:#f0f0f0}img{max-width:100%;margin:0.5em 0 1.5em}"
)


def render_html(report: ReportData, images: Mapping[str, bytes] | None = None) -> str:
    """Self-contained HTML report: tables plus the plots embedded as base64 PNG."""
    imgs = dict(images or {})

    def img(name: str, alt: str) -> str:
        if name not in imgs:
            return ""
        b64 = base64.b64encode(imgs[name]).decode("ascii")
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'

    def table(df: pd.DataFrame) -> str:
        return (
            "<p><em>none</em></p>" if df.empty else df.to_html(index=False, escape=True, border=0)
        )

    title = html.escape(report.config.title)
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>",
        *[f"<p>{html.escape(line)}</p>" for line in _summary_lines(report)],
        "<h2>Overall: normalised IQM</h2>",
        table(overall_table(report)),
        img("aggregate.png", "aggregated normalised IQM"),
        "<h2>Per task</h2>",
        table(per_task_table(report)),
        img("per_task.png", "per-task scores"),
    ]
    cap = capability_table(report)
    if not cap.empty:
        parts += [
            "<h2>Capability groups: normalised IQM</h2>",
            table(cap),
            img("capabilities.png", "capability groups"),
        ]
    parts += ["<h2>Cells that did not finish</h2>", table(failed_table(report)), "</body></html>"]
    return "\n".join(parts)


def render_terminal(report: ReportData, console: object | None = None) -> None:
    """Print the leaderboard with rich: overall normalised IQM, then every task."""
    from rich.console import Console
    from rich.table import Table

    con = console if console is not None else Console()
    for title, df in (
        (f"{report.config.title}: overall normalised IQM", overall_table(report)),
        ("Per task (mean over seeds)", per_task_table(report)),
        ("Capability groups (normalised IQM)", capability_table(report)),
    ):
        if df.empty:
            continue
        t = Table(title=title, show_lines=False)
        for col in df.columns:
            t.add_column(
                str(col),
                justify="left" if col in ("group", "task", "metric", "method") else "right",
            )
        for row in df.itertuples(index=False):
            t.add_row(*[str(v) for v in row])
        con.print(t)  # type: ignore[attr-defined]
    if not report.failed.empty:
        con.print(f"[red]{len(report.failed)} cell(s) did not finish[/red]")  # type: ignore[attr-defined]


def write_report(
    results: pd.DataFrame,
    out_dir: str | Path,
    config: ReportConfig = ReportConfig(),
    normalizer: Normalizer | None = None,
    capability_tags: Mapping[str, Iterable[str]] | None = None,
    console: object | None = None,
    print_terminal: bool = True,
) -> list[Path]:
    """Compute, print and write the report into ``out_dir``; return the files written.

    Files: ``results.csv`` (the input table), ``per_task.csv``, ``aggregate.csv``,
    ``capabilities.csv`` (when any group applies), ``normalizer.json``, the PNG plots,
    ``report.md`` and the self-contained ``report.html``. Log them as run artifacts.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(results, config, normalizer, capability_tags)
    if print_terminal:
        render_terminal(report, console)
    written: list[Path] = []

    def save_csv(df: pd.DataFrame, name: str) -> None:
        path = out / name
        df.to_csv(path, index=False)
        written.append(path)

    save_csv(report.results, "results.csv")
    save_csv(report.per_task, "per_task.csv")
    save_csv(report.overall, "aggregate.csv")
    if not report.capabilities.empty:
        save_csv(report.capabilities, "capabilities.csv")
    if report.normalizer.ranges:
        written.append(report.normalizer.to_json(out / "normalizer.json"))
    figures = report_figures(report)
    for name, png in figures.items():
        (out / name).write_bytes(png)
        written.append(out / name)
    md = out / "report.md"
    md.write_text(render_markdown(report, {n: n for n in figures}), encoding="utf-8")
    page = out / "report.html"
    page.write_text(render_html(report, figures), encoding="utf-8")
    written += [md, page]
    return written
