#!/usr/bin/env python
"""Run a GeoArena benchmark suite: list, select and run cells, then write the results table and
the report. This tool composes the workspace members: the harness (``geoarena.core``: suites,
runner, tracker) and the results layer (``geoarena.results``: table, aggregation, report).

    python tools/run_benchmark.py --list
    python tools/run_benchmark.py                      # the default suite on embedded data
    python tools/run_benchmark.py --suite geobench-v1 --data-root DATA/geobench --seeds 0,1,2
    python tools/run_benchmark.py --tasks eo/spacenet-atlanta-buildings --set train.lr=3e-4

Resume is the default: a cell with a FINISHED run of the same config hash in the suite's
experiment is skipped, so a killed suite continues where it stopped. Browse the runs with
``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from geoarena.cli.checks import (
    ToolParser,
    check_output_dir,
    check_url,
    cli_entry,
    mask_secrets,
    url_from,
    with_url_timeouts,
)
from geoarena.core.config import RunConfig, apply_overrides
from geoarena.core.errors import ConfigError


def _csv(text: str | None, typ=str, option: str = ""):
    if text is None:
        return None
    try:
        return [typ(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{option} {text!r}: expected comma-separated {typ.__name__}s") from None


def build_parser() -> argparse.ArgumentParser:
    p = ToolParser(
        prog="run_benchmark.py",
        description="Run a GeoArena benchmark suite; every cell is an MLflow child run.",
    )
    p.add_argument(
        "--list", action="store_true", help="list suites, tasks, models, protocols and packages"
    )
    p.add_argument("--suite", default="default", help="suite name (default: %(default)s)")
    p.add_argument("--tasks", help="comma-separated task names to keep")
    p.add_argument("--models", help="comma-separated model names to keep")
    p.add_argument("--protocols", help="comma-separated protocols (replace the suite's)")
    p.add_argument("--label-fractions", help="comma-separated label fractions, e.g. 0.1,1.0")
    p.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2 (declared, never drawn)")
    p.add_argument("--data-root", help="root folder of benchmark data given by path (GEO-Bench, …)")
    p.add_argument(
        "--cache-dir", help="sample/cache folder (default ./.cache/geoarena or $GEOARENA_CACHE)"
    )
    p.add_argument("--tracking-uri", help="MLflow store or server (default sqlite:///./mlflow.db)")
    p.add_argument("--experiment", help="MLflow experiment (default: the suite name)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    p.add_argument(
        "--quick", action="store_true", help="shrink data and schedules for a laptop run"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override applied to every cell, e.g. --set train.lr=3e-4",
    )
    p.add_argument(
        "--fresh", action="store_true", help="re-run cells that already have a FINISHED run"
    )
    p.add_argument("--new-parent", action="store_true", help="start a new suite parent run")
    p.add_argument("--out", default="results", help="folder for the results CSV and reports")
    p.add_argument("--no-report", action="store_true", help="skip the Markdown/HTML report")
    p.add_argument("--dry-run", action="store_true", help="print the cells and exit")
    p.add_argument(
        "--register",
        metavar="NAME",
        help="register each task's best cell (by validation score) in the MLflow Model Registry "
        "as NAME-<task> under --alias (needs geoarena-serve)",
    )
    p.add_argument("--alias", default="champion", help="registry alias for --register")
    return p


def list_everything() -> str:
    from geoarena.core.registry import MODELS, PROTOCOLS, SUITES, TASKS, package_status

    lines = ["packages:"]
    for name, status in package_status().items():
        lines.append(f"  {name:<6} {status}")
    lines.append("suites:")
    for s in SUITES.names():
        suite = SUITES.get(s)
        n = len(suite.cells())
        lines.append(
            f"  {s:<24} {n:>4} cells  {'needs --data-root  ' if suite.needs_data_root else ''}{suite.description}"
        )
    lines.append("tasks:")
    for t in TASKS.names():
        try:
            task = TASKS.get(t)
            lines.append(
                f"  {t:<36} {task.kind:<9} {task.metric:<18} {'needs --data-root' if task.needs_data_root else ''}"
            )
        except Exception as exc:  # one broken task must not hide the rest of the listing
            lines.append(f"  {t:<36} broken: {exc}")
    lines.append("models:")
    for m in MODELS.names():
        kinds = ",".join(MODELS.meta(m).get("kinds", ()) or ("any",))
        lines.append(f"  {m:<36} {kinds}")
    lines.append("protocols:")
    for pr in PROTOCOLS.names():
        proto = PROTOCOLS.get(pr)
        lines.append(f"  {pr:<14} {proto.description}")
    return "\n".join(lines)


@cli_entry
def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with_url_timeouts()
    # the tracking URL may come from $MLFLOW_TRACKING_URI(_FILE) or @FILE: keep passwords off argv
    args.tracking_uri = url_from(args.tracking_uri, "MLFLOW_TRACKING_URI", "--tracking-uri")
    return _main(args)


def _main(args: argparse.Namespace) -> int:
    from geoarena.core.registry import SUITES

    if args.list:
        print(list_everything())
        return 0
    suite = SUITES.get(args.suite)
    if suite.needs_data_root and not args.data_root:
        print(
            f"error: suite {suite.name!r} reads benchmark data by path: pass --data-root DIR",
            file=sys.stderr,
        )
        return 2
    base = RunConfig(data_root=args.data_root, cache_dir=args.cache_dir, device=args.device)
    if args.overrides:
        apply_overrides(base, args.overrides)  # validate keys early, before any work
    cells = suite.cells(
        tasks=_csv(args.tasks),
        models=_csv(args.models),
        protocols=_csv(args.protocols),
        label_fractions=_csv(args.label_fractions, float, "--label-fractions"),
        seeds=_csv(args.seeds, int, "--seeds"),
        quick=args.quick,
        base=base,
        overrides=args.overrides,
    )
    _check_selection(args, suite, cells)
    if args.dry_run:
        for c in cells:
            print(
                f"{c.task}  {c.model}  {c.protocol}  lf={c.label_fraction}  seed={c.seed}  hash={c.hash()}"
            )
        return 0
    from geoarena.core.suite import run_suite
    from geoarena.store.mlflow_tracker import MLflowTracker
    from geoarena.train.distributed import rank_zero_tracker, world_from_env

    # inputs are checked before any cell runs: the tracking store is reached within the connect
    # timeout, the output folder is writable
    check_output_dir(Path(args.out) / suite.name, "--out")
    if args.tracking_uri:
        check_url(args.tracking_uri, "--tracking-uri")
    # under torchrun/srun every rank runs the suite; only global rank 0 writes to MLflow
    tracker = rank_zero_tracker(
        MLflowTracker(
            experiment=args.experiment or f"suite-{suite.name}", tracking_uri=args.tracking_uri
        )
    )
    print(
        f"suite {suite.name}: {len(cells)} cells → MLflow {mask_secrets(tracker.tracking_uri)} "
        f"(experiment {tracker.experiment_name})"
    )
    t0 = time.perf_counter()
    with _progress(len(cells)) as hook:
        outcome = run_suite(
            suite, cells, tracker, resume=not args.fresh, new_parent=args.new_parent, progress=hook
        )
    elapsed = time.perf_counter() - t0
    if not world_from_env().is_zero:  # rank 0 alone reports
        return 1 if outcome.failed else 0
    try:
        return _report(args, suite, cells, tracker, outcome, elapsed)
    except BaseException:
        tracker.end_run(outcome.parent_id, "FAILED")  # never leave the parent RUNNING
        raise


def _report(args, suite, cells, tracker, outcome, elapsed: float) -> int:
    from geoarena.results.table import results_table

    df = results_table(tracker, suite.name, include_failed=True)
    cell_hashes = {c.hash() for c in cells}
    df = df[df["config_hash"].isin(cell_hashes)].reset_index(drop=True)
    out = Path(args.out) / suite.name
    out.mkdir(parents=True, exist_ok=True)
    finished = df[df["status"] == "FINISHED"].drop(columns=["error"], errors="ignore")
    from rich.console import Console

    console = Console()
    if not args.no_report and len(finished):
        from geoarena.results.report import ReportConfig, write_report

        files = write_report(
            df, out, ReportConfig(title=f"GeoArena suite {suite.name}"), console=console
        )
        for f in files:
            tracker.log_artifact(outcome.parent_id, f, "report")
    # written after the report (which also saves its input, failed cells included): this file is
    # the GEO-Bench-2-style submission table of FINISHED cells only
    csv = out / "results.csv"
    finished.to_csv(csv, index=False)
    tracker.log_artifact(outcome.parent_id, csv, "results")
    # a resumed suite adds its time to the parent's (it does not overwrite it)
    tracker.log_metrics(
        outcome.parent_id,
        {"suite/elapsed_s": outcome.elapsed_before_s + elapsed, "suite/session_elapsed_s": elapsed},
    )
    tracker.end_run(outcome.parent_id, "FINISHED")
    _print_summary(outcome, elapsed, out, console)
    if args.register:
        _register(args, tracker, suite.name, cell_hashes, console)
    return 1 if outcome.failed else 0


def _check_selection(args, suite, cells) -> None:
    from geoarena.core.errors import ConfigError
    from geoarena.core.registry import MODELS, PROTOCOLS, TASKS

    for name in _csv(args.tasks) or []:
        TASKS.entry(name)  # raises with "unknown task …; known: …" or "not installed"
        if name not in suite.task_names():
            raise ConfigError(
                f"task {name!r} is not in suite {suite.name!r} (tasks: {', '.join(suite.task_names())})"
            )
    for name in _csv(args.models) or []:
        MODELS.entry(name)
    for name in _csv(args.protocols) or []:
        PROTOCOLS.entry(name)
    if not cells:
        raise ConfigError(f"suite {suite.name!r}: the selection has no cells")


def _register(args, tracker, suite_name: str, cell_hashes: set[str], console) -> None:
    """``--register``: each selected task's best logged cell → ``models:/NAME-<task>@ALIAS``."""
    from geoarena.serve.registry import register_best

    runs = [
        r
        for r in tracker.find_runs({"suite": suite_name})
        if r["tags"].get("config_hash") in cell_hashes
    ]
    for reg in register_best(tracker.client, runs, args.register, args.alias):
        console.print(
            f"registered {reg.uri} (version {reg.version}): {reg.task} | {reg.model} "
            f"val {reg.val_score:.4f}, run {reg.run_id}"
        )


class _progress:
    """rich progress bar with ETA over cells; degrades to plain lines without a terminal."""

    def __init__(self, total: int):
        self.total = total

    def __enter__(self):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.p = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            transient=False,
        )
        self.p.start()
        self.bar = self.p.add_task("cells", total=self.total)

        def hook(i, n, cfg, res):
            if res is None:
                self.p.update(self.bar, description=f"{cfg.task} {cfg.model} s{cfg.seed}")
                return
            state = "skip" if res.skipped else res.status
            self.p.console.print(
                f"[{i}/{n}] {state:<8} {cfg.task} | {cfg.model} | {cfg.protocol} | lf={cfg.label_fraction} "
                f"| seed={cfg.seed} ({res.duration_s:.1f}s){'  ' + res.error if res.error else ''}"
            )
            self.p.update(self.bar, completed=i)

        return hook

    def __exit__(self, *exc):
        self.p.stop()
        return False


def _print_summary(outcome, elapsed: float, out: Path, console) -> None:
    console.print(
        f"\nsuite {outcome.suite}: {len(outcome.finished)} finished ({len(outcome.skipped)} resumed), "
        f"{len(outcome.failed)} failed in {elapsed / 60:.1f} min; parent run {outcome.parent_id}"
    )
    for r in outcome.failed:
        console.print(f"[red]FAILED[/red] run {r.run_id}: {r.error}")
    console.print(f"results: {out}/results.csv, report: {out}/report.html")


if __name__ == "__main__":
    sys.exit(main())
