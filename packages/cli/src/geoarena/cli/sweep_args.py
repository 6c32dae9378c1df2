"""The command line of ``tools/sweep.py`` (kept here so the tool stays a small module): every
flag with its type check and help; :func:`parse_sweep_args` parses and cross-checks them."""

from __future__ import annotations

import argparse
from pathlib import Path

from geoarena.cli.checks import ToolParser, in_range, nonneg_int, positive_int, url_from

#: environment variables that stand in for ``--storage`` and ``--tracking-uri``
STORAGE_ENV, TRACKING_ENV = "GEOARENA_SWEEP_STORAGE", "MLFLOW_TRACKING_URI"


def parse_sweep_args(argv: list[str] | None, description: str | None) -> argparse.Namespace:
    """``tools/sweep.py``'s command line (``description``: its help text), checked: one of
    EXPERIMENT or ``--suite``, ``--objectives`` xor ``--metric``/``--direction``, and the storage
    and tracking URLs taken from the flags or the environment."""
    p = ToolParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "experiment", nargs="?", help="experiment file with config() and space(trial, cfg)"
    )
    p.add_argument(
        "--suite",
        help="run this benchmark suite's cells as a shared study instead of an experiment",
    )
    p.add_argument(
        "--study", required=True, help="study name; every worker of one sweep uses the same"
    )
    p.add_argument(
        "--storage",
        default=None,
        help="memory | journal:PATH | sqlite:///PATH | postgresql://… | @FILE holding the URL "
        "(default $GEOARENA_SWEEP_STORAGE, the file named by $GEOARENA_SWEEP_STORAGE_FILE, "
        "else ./optuna.journal) — prefer the env/file forms: argv is visible in ps",
    )
    p.add_argument(
        "--n-trials", type=positive_int, default=None, help="study-wide number of finished trials"
    )
    p.add_argument("--sampler", choices=("tpe", "random", "cmaes", "nsga2"))
    p.add_argument("--pruner", choices=("median", "hyperband", "sha", "none"))
    p.add_argument(
        "--metric",
        action="append",
        help="objective (repeat for multi-objective): val/<m>, params, duration_s",
    )
    p.add_argument("--direction", action="append", choices=("maximize", "minimize", "auto"))
    p.add_argument(
        "--objectives",
        help="comma-separated objectives, e.g. metric,latency (metric: maximise the task's; "
        "latency/params/duration: minimise) — instead of --metric/--direction; suites too",
    )
    p.add_argument(
        "--tradeoff",
        choices=("knee", "first"),
        default=None,
        help="multi-objective final stage: knee (closest to the utopia point, default) or first "
        "(best metric) of the Pareto front",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override the base config (train.epochs=3)",
    )
    p.add_argument(
        "--quick", action="store_true", help="the experiment's --quick schedule (small data/epochs)"
    )
    p.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow store or server, or @FILE (default $MLFLOW_TRACKING_URI, "
        "$MLFLOW_TRACKING_URI_FILE, else ./mlflow.db)",
    )
    p.add_argument(
        "--mlflow-experiment",
        default=None,
        help="MLflow experiment name (default: the experiment file's name)",
    )
    p.add_argument("--no-tracking", action="store_true", help="log nothing to MLflow")
    p.add_argument(
        "--final-seeds",
        default=None,
        help="comma-separated seeds for the final runs ('' skips; default: the experiment's)",
    )
    p.add_argument(
        "--final-only",
        action="store_true",
        help="only the final seed runs (after the search has finished)",
    )
    p.add_argument(
        "--worker-only",
        action="store_true",
        help="only search; leave the final stage to another call",
    )
    p.add_argument(
        "--workers",
        type=in_range(int, 1, 256),
        default=1,
        help="start this many worker processes on this machine",
    )
    p.add_argument("--worker-index", type=nonneg_int, default=0, help=argparse.SUPPRESS)
    p.add_argument(
        "--sampler-seed",
        # Optuna's samplers seed numpy (0 … 2**32 - 1); worker i adds i, so keep headroom
        type=in_range(int, 0, 2**32 - 1 - 1024),
        default=None,
        help="sampler seed (worker i uses seed + i)",
    )
    p.add_argument(
        "--new-study", action="store_true", help="refuse to join an existing study of this name"
    )
    p.add_argument(
        "--create-only",
        action="store_true",
        help="create the study and its MLflow parent run, then exit",
    )
    p.add_argument(
        "--timeout",
        type=in_range(float, 0.0),
        default=0.0,
        help="stop claiming trials after this many seconds",
    )
    p.add_argument(
        "--heartbeat", type=positive_int, default=10, help="RDB storages: heartbeat interval (s)"
    )
    p.add_argument(
        "--grace",
        type=positive_int,
        default=None,
        help="RDB storages: fail a trial silent this long (s; default 3 x heartbeat)",
    )
    p.add_argument(
        "--max-retries",
        type=nonneg_int,
        default=2,
        help="re-queue a trial failed by heartbeat this often",
    )
    p.add_argument(
        "--pool-size", type=positive_int, default=2, help="PostgreSQL connections per worker"
    )
    p.add_argument("--max-overflow", type=nonneg_int, default=2)
    p.add_argument(
        "--connect-timeout",
        type=in_range(int, 1, 600),
        default=10,
        help="seconds before an unreachable database or tracking server is an error",
    )
    p.add_argument(
        "--report", type=Path, default=None, help="write the final report (Markdown) here"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --report")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if (args.experiment is None) == (args.suite is None):
        p.error("give either an EXPERIMENT file or --suite NAME")
    if args.objectives is not None and (args.metric or args.direction):
        p.error("--objectives replaces --metric/--direction: give one or the other")
    args.storage = url_from(args.storage, STORAGE_ENV, "--storage")
    args.tracking_uri = url_from(args.tracking_uri, TRACKING_ENV, "--tracking-uri")
    return args
