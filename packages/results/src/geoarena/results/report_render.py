"""The report as Markdown, self-contained HTML and terminal (rich) text.

All three show the same tables (:mod:`geoarena.results.report_tables`) with the same notes under
each, so a log, a Markdown viewer and a browser tell the reader the same thing.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping

import pandas as pd

from geoarena.results.report_data import ReportData
from geoarena.results.report_tables import (
    capability_notes,
    capability_table,
    failed_table,
    headline_notes,
    headline_table,
    per_task_notes,
    per_task_table,
    summary_lines,
)

HEADLINE = "Headline: normalised score per modality and overall"
PER_TASK = "Per task: mean over seeds"
CAPABILITIES = "Capability groups: normalised score"
FAILED = "Cells that did not finish"


def _sections(
    report: ReportData,
) -> list[tuple[str, pd.DataFrame, list[str], str | None]]:
    """(title, table, notes, plot file) of every section, in page order."""
    out = [
        (HEADLINE, headline_table(report), headline_notes(report), "aggregate.png"),
        (PER_TASK, per_task_table(report), per_task_notes(report), "per_task.png"),
    ]
    if not report.capabilities.empty:
        cap = capability_table(report)
        out.append((CAPABILITIES, cap, capability_notes(report), "capabilities.png"))
    out.append((FAILED, failed_table(report), [], None))
    return out


_ALT = {
    "aggregate.png": "normalised score per headline group",
    "per_task.png": "per-task scores",
    "capabilities.png": "capability groups",
}


def _md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "_none_\n"
    esc = [str(c).replace("|", "\\|") for c in df.columns]
    lines = ["| " + " | ".join(esc) + " |", "|" + "|".join("---" for _ in esc) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"


def render_markdown(report: ReportData, image_files: Mapping[str, str] | None = None) -> str:
    """Markdown report; ``image_files`` maps plot names to paths relative to the .md file."""
    images = dict(image_files or {})
    out = [f"# {report.config.title}\n", *[f"{line}  " for line in summary_lines(report)], ""]
    for title, df, notes, plot in _sections(report):
        out += [f"## {title}\n", _md_table(df)]
        out += [f"- {n}" for n in notes] + ([""] if notes else [])
        if plot in images:
            out.append(f"![{_ALT[plot]}]({images[plot]})\n")
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1300px;padding:0 1em;"
    "color:#222}h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid"
    " #ddd}table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;"
    "padding:3px 8px;text-align:left;font-size:0.9em;vertical-align:top}th{background:#f0f0f0}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.na{color:#8a6d3b;background:#fcf8e3}ul.notes{font-size:0.85em;color:#555;"
    "margin:0.3em 0 1em;max-width:75em}p.summary{margin:0.2em 0}"
    "tr.first td{border-top:2px solid #999}img{max-width:100%;margin:0.5em 0 1.5em}"
)


_NUMBER = re.compile(r"^\[?-?\d[\d.]*(, -?\d[\d.]*\])?$|^\d+/\d+$")


def _html_table(df: pd.DataFrame) -> str:
    """An HTML table: numbers right-aligned (columns that mix in n/a reasons stay left-aligned),
    n/a cells shaded, a rule where the first column (group, task) changes."""
    if df.empty:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    mixed = {c for c in df.columns if df[c].astype(str).str.startswith("n/a").any()}
    grouped = df.iloc[:, 0].duplicated().any()  # a group/task column: rule between its blocks
    rows = []
    previous = None
    for row in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, row):
            text = str(v)
            cls = ""
            if text.startswith("n/a"):
                cls = ' class="na"'
            elif _NUMBER.match(text) and col not in mixed:
                cls = ' class="num"'
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        first = " class='first'" if grouped and previous is not None and row[0] != previous else ""
        previous = row[0]
        rows.append(f"<tr{first}>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(report: ReportData, images: Mapping[str, bytes] | None = None) -> str:
    """Self-contained HTML report: tables, their notes and the plots embedded as base64 PNG."""
    imgs = dict(images or {})
    title = html.escape(report.config.title)
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>",
        *[f"<p class='summary'>{html.escape(line)}</p>" for line in summary_lines(report)],
    ]
    for name, df, notes, plot in _sections(report):
        parts += [f"<h2>{html.escape(name)}</h2>", _html_table(df)]
        if notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
            parts.append(f"<ul class='notes'>{items}</ul>")
        if plot in imgs:
            b64 = base64.b64encode(imgs[plot]).decode("ascii")
            parts.append(f'<img alt="{html.escape(_ALT[plot])}" src="data:image/png;base64,{b64}">')
    parts.append("</body></html>")
    return "\n".join(parts)


_RIGHT = frozenset({"tasks", "IQM", "mean", "± s.e.", "seeds"})


def _print_wide(con, renderable) -> None:
    """Print ``renderable`` at its natural width when the console is not a terminal.

    A log file has no width: rich would otherwise squeeze tables into 80 columns and cut cells
    to "…". On a terminal the table wraps to the screen instead (folding, never cutting).
    """
    if con.is_terminal:
        con.print(renderable)
        return
    natural = con.measure(renderable, options=con.options.update_width(100_000)).maximum
    old = con.width
    con.width = max(old, natural)
    try:
        con.print(renderable, crop=False)
    finally:
        con.width = old


def render_terminal(report: ReportData, console: object | None = None) -> None:
    """Print the report's tables with rich: headline, every task, capability groups, notes."""
    from rich.console import Console
    from rich.table import Table

    con = console if console is not None else Console()
    say: Callable[[str], None] = lambda text: con.print(  # noqa: E731
        text, markup=False, highlight=False, soft_wrap=not con.is_terminal
    )
    for line in summary_lines(report):
        say(line)
    for name, df, notes, _ in _sections(report):
        if df.empty and not notes:
            continue
        if df.empty:
            say(f"{name}: none shown")
            for n in notes[1:]:
                say(f"  {n}")
            continue
        title = f"{report.config.title}: {name}" if name == HEADLINE else name
        t = Table(title=title, show_lines=False, title_justify="left")
        for col in df.columns:
            t.add_column(
                str(col),
                justify="right" if col in _RIGHT else "left",
                overflow="fold",
                no_wrap=not con.is_terminal,
            )
        for row in df.itertuples(index=False):
            t.add_row(*[str(v) for v in row])
        _print_wide(con, t)
        for n in notes:
            say(f"  {n}")
    if not report.failed.empty:
        con.print(f"[red]{len(report.failed)} cell(s) did not finish[/red]")
