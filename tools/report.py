#!/usr/bin/env python
"""Rebuild a suite's leaderboard report from any tracking store, or from results CSVs.

    python tools/report.py --tracking-uri sqlite:///mlflow.db --suite default --out reports/default
    python tools/report.py --csv results/default/results.csv --out reports/default
    python tools/report.py --csv packages/results/src/geoarena/results/data/geobench2_leaderboard/114be1f0-*/results_and_parameters.csv \\
        --normalizer packages/results/src/geoarena/results/data/geobench2_leaderboard/normalizer.json --n-bootstrap 100 --seed 100 --out gb2

A CSV may be a GeoArena results table or a GEO-Bench-2 leaderboard submission (its column names
are mapped to GeoArena's, see geoarena.results.schema). Several CSVs may overlap: a run (its
mlflow_run_id) is counted once. Prints the leaderboard, writes report.md, report.html (plots
embedded), the tables as CSV, and lists the files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geoarena.cli.checks import (
    ToolParser,
    bad_input,
    check_input_file,
    check_output_dir,
    check_url,
    cli_entry,
    in_range,
    mask_secrets,
    nonneg_int,
    url_from,
    with_url_timeouts,
)

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MPLBACKEND", "Agg")
with_url_timeouts()


def _parser() -> argparse.ArgumentParser:
    p = ToolParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--suite", help="suite name whose cells to read from the tracking store")
    src.add_argument(
        "--csv", type=Path, nargs="+", help="results CSV file(s) instead of a tracking store"
    )
    p.add_argument("--tracking-uri", help="MLflow store or server (default sqlite:///./mlflow.db)")
    p.add_argument(
        "--experiment", help="MLflow experiment (default: suite-<suite>, as run_benchmark.py)"
    )
    p.add_argument("--out", type=Path, required=True, help="folder for the report files")
    p.add_argument("--overwrite", action="store_true", help="replace a report already in --out")
    p.add_argument(
        "--normalizer",
        type=Path,
        help="normalizer.json (dataset -> [min, max]); default: the table's",
    )
    p.add_argument(
        "--n-bootstrap",
        type=in_range(int, 10, 1_000_000),
        default=1000,
        help="bootstrap replicates (default 1000)",
    )
    p.add_argument("--seed", type=nonneg_int, default=0, help="bootstrap RNG seed (default 0)")
    p.add_argument(
        "--ci",
        type=in_range(float, 0.5, 0.999),
        default=0.95,
        help="confidence level (default 0.95)",
    )
    p.add_argument("--title", help="report title")
    p.add_argument(
        "--by",
        default="model,protocol,label_fraction",
        help="columns that identify a method (default model,protocol,label_fraction)",
    )
    p.add_argument(
        "--task-col", default="task", help="column that identifies a task (default task)"
    )
    return p


def load_results(args: argparse.Namespace):
    """The results table from CSVs or from the tracking store (every cell, failed ones included)."""
    if args.csv:
        from geoarena.results.schema import concat_results, read_results_csv

        tables = [read_results_csv(p) for p in args.csv]
        df = concat_results(tables, args.csv)
        repeats = sum(len(t) for t in tables) - len(df)
        if repeats:
            print(
                f"note: {repeats} row(s) repeat an mlflow_run_id already read; "
                "each run is counted once",
                file=sys.stderr,
            )
        return df
    from geoarena.core.errors import ConfigError
    from geoarena.results.table import results_table
    from geoarena.store.mlflow_tracker import MLflowTracker

    tracker = MLflowTracker(
        experiment=args.experiment or f"suite-{args.suite}", tracking_uri=args.tracking_uri
    )
    df = results_table(tracker, args.suite, include_failed=True)
    if df.empty:
        raise ConfigError(
            f"no cells of suite {args.suite!r} in experiment {tracker.experiment_name!r} "
            f"at {mask_secrets(tracker.tracking_uri)}; check --tracking-uri, --suite and --experiment"
        )
    return df


def check_inputs(args: argparse.Namespace) -> None:
    """Before anything is read in full: the CSVs' headers (a wrong 5 MB file is refused from its
    first line), the normalizer, the tracking store (reached within the connect timeout) and the
    output folder (writable; an earlier report is kept unless --overwrite)."""
    for path in args.csv or ():
        check_csv_header(path)
    if args.normalizer is not None:
        check_input_file(args.normalizer, "--normalizer")
    if args.suite:
        args.tracking_uri = url_from(args.tracking_uri, "MLFLOW_TRACKING_URI", "--tracking-uri")
        if args.tracking_uri:
            check_url(args.tracking_uri, "--tracking-uri")
    check_output_dir(args.out, "--out", overwrite=args.overwrite, guarded=REPORT_FILES)


REPORT_FILES = ("report.md", "report.html")
_HEADER_BYTES = 1 << 16


def check_csv_header(path: Path) -> None:
    """The first line of ``path`` is a UTF-8 CSV header naming the results columns."""
    from geoarena.results.schema import LEGACY_NAMES, SUBMISSION_COLUMNS

    check_input_file(path, "--csv")
    with open(path, "rb") as fh:
        head = fh.read(_HEADER_BYTES)
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) == _HEADER_BYTES:
        raise bad_input("--csv", f"no header line in the first {_HEADER_BYTES} bytes", path)
    if b"\x00" in line:
        raise bad_input("--csv", "binary data, not a CSV file", path)
    try:
        text = line.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise bad_input("--csv", f"not UTF-8 text (byte {exc.start})", path) from None
    names = {LEGACY_NAMES.get(c.strip().strip('"'), c.strip().strip('"')) for c in text.split(",")}
    missing = [c for c in SUBMISSION_COLUMNS if c not in names]
    if missing:
        raise bad_input(
            "--csv",
            f"not a results table: missing column(s) {', '.join(repr(c) for c in missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""),
            path,
        )


def _write_atomically(results, out: Path, config, normalizer, write_report) -> list[Path]:
    """Write the report into a staging folder beside ``out`` and move the files in only when
    all are written: a failure leaves no half report (and an earlier one intact)."""
    import shutil
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        files = write_report(results, staging, config, normalizer=normalizer)
        moved = []
        for f in files:
            dst = out / Path(f).relative_to(staging)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dst)
            moved.append(dst)
        return moved
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@cli_entry
def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from geoarena.core.errors import GeoArenaError
    from geoarena.results.aggregate import Normalizer
    from geoarena.results.report import ReportConfig, write_report

    check_inputs(args)
    try:
        results = load_results(args)
        config = ReportConfig(
            title=args.title
            or (f"GeoArena suite {args.suite}" if args.suite else "GeoArena report"),
            method_cols=tuple(c.strip() for c in args.by.split(",") if c.strip()),
            dataset_col=args.task_col,
            n_bootstrap=args.n_bootstrap,
            seed=args.seed,
            ci=args.ci,
        )
        normalizer = Normalizer.from_json(args.normalizer) if args.normalizer else None
        files = _write_atomically(results, args.out, config, normalizer, write_report)
    except GeoArenaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in files:
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
