"""Leaderboard reports from a results table: terminal (rich), Markdown and self-contained HTML.

``write_report`` is what the suite runner and ``tools/report.py`` call: it computes the
GEO-Bench statistics of :mod:`geoarena.results.aggregate` (:mod:`~geoarena.results.report_data`),
prints the tables (:mod:`~geoarena.results.report_render`), writes ``report.md`` with PNG plots
beside it (:mod:`~geoarena.results.report_plots`), ``report.html`` (the same plots embedded as
base64 PNG, so the one file can be mailed or logged as an MLflow artifact) and the tables as CSV,
and returns the list of files it wrote.

Normalised scores are shown ×100 with one decimal, as on the GEO-Bench-2 leaderboard; so are
per-task means of metrics that are fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from geoarena.results.normalize import Normalizer
from geoarena.results.report_data import (
    FINISHED,
    ReportConfig,
    ReportData,
    build_report,
    headline_groups,
)
from geoarena.results.report_plots import (
    plot_aggregate,
    plot_capabilities,
    plot_per_task,
    report_figures,
)
from geoarena.results.report_render import render_html, render_markdown, render_terminal
from geoarena.results.report_tables import (
    capability_table,
    failed_table,
    headline_table,
    method_label,
    overall_table,
    per_task_table,
)

__all__ = [
    "FINISHED",
    "ReportConfig",
    "ReportData",
    "build_report",
    "capability_table",
    "failed_table",
    "headline_groups",
    "headline_table",
    "method_label",
    "overall_table",
    "per_task_table",
    "plot_aggregate",
    "plot_capabilities",
    "plot_per_task",
    "render_html",
    "render_markdown",
    "render_terminal",
    "report_figures",
    "write_report",
]


def write_report(
    results: pd.DataFrame,
    out_dir: str | Path,
    config: ReportConfig | None = None,
    normalizer: Normalizer | None = None,
    capability_tags: Mapping[str, Iterable[str]] | None = None,
    console: object | None = None,
    print_terminal: bool = True,
) -> list[Path]:
    """Compute, print and write the report into ``out_dir``; return the files written.

    Files: ``results.csv`` (the input table), ``per_task.csv``, ``aggregate.csv`` (the headline
    groups), ``capabilities.csv`` (when any group applies), ``normalizer.json``, the PNG plots,
    ``report.md`` and the self-contained ``report.html``. Log them as run artifacts.
    ``config`` defaults to ``ReportConfig()``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(results, config or ReportConfig(), normalizer, capability_tags)
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
