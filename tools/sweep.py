#!/usr/bin/env python
"""Optuna sweep over the GeoArena harness — one worker here, or one of many on a cluster.

    python tools/sweep.py EXPERIMENT.py --study NAME --storage URL --n-trials K \
        [--sampler tpe|random|cmaes|nsga2] [--pruner median|hyperband|sha|none] \
        [--metric val/miou --metric params --direction maximize --direction minimize] \
        [--objectives metric,latency [--tradeoff knee|first]] \
        [--tracking-uri URI] [--final-seeds 0,1,2] [--workers N] [--set train.lr=1e-3]

    python tools/sweep.py --suite default --study NAME --storage URL     # suite cells as a sweep

``--objectives metric,latency`` optimises the task metric and the cell's inference latency (ms
per test sample, measured by the runner) together: a multi-objective study whose Pareto front is
printed and logged to the parent run; the final stage re-runs the front's ``--tradeoff`` point.

``--n-trials`` is the study-wide number of finished trials: start the same command on any number
of machines against one PostgreSQL storage and together they finish exactly K trials. Every worker
joins the study by name; the MLflow parent run is shared through the study's user attrs. After
the search, one worker re-runs the best configuration over ``--final-seeds`` (``--final-seeds ''``
skips it; ``--worker-only`` leaves it to a later ``--final-only`` call, e.g. a dependent Slurm job).

Exit status: 0 done; 2 configuration or storage problem (message, no traceback); 3 sweep error.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")

from geoarena.cli.checks import (
    ToolParser,
    check_input_file,
    check_output_file,
    check_url,
    cli_entry,
    fail,
    in_range,
    mask_secrets,
    nonneg_int,
    one_line,
    positive_int,
    url_from,
    with_url_timeouts,
)
from geoarena.core.config import SweepConfig, apply_overrides
from geoarena.core.errors import ConfigError, DataError, GeoArenaError
from geoarena.sweeps.experiment import load_experiment
from geoarena.sweeps.objective import parse_objectives
from geoarena.sweeps.storage import StorageError, StorageOptions, sqlalchemy_url, storage_kind
from geoarena.sweeps.study import describe, open_sweep
from geoarena.sweeps.worker import run_worker

log = logging.getLogger("geoarena.sweep")
_STORAGE_ENV, _TRACKING_ENV = "GEOARENA_SWEEP_STORAGE", "MLFLOW_TRACKING_URI"
with_url_timeouts()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = ToolParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    args.storage = url_from(args.storage, _STORAGE_ENV, "--storage")
    args.tracking_uri = url_from(args.tracking_uri, _TRACKING_ENV, "--tracking-uri")
    return args


def check_inputs(args: argparse.Namespace) -> None:
    """Experiment file, URLs (within --connect-timeout) and report path, before any work."""
    if args.experiment is not None:
        check_input_file(args.experiment, "EXPERIMENT")
    # PostgreSQL storage is reached by open_storage under the same connect timeout
    if args.storage and storage_kind(args.storage) in ("journal", "sqlite"):
        check_url(args.storage, "--storage", timeout_s=args.connect_timeout)
    if args.tracking_uri and not args.no_tracking:
        check_url(args.tracking_uri, "--tracking-uri", timeout_s=args.connect_timeout)
    if args.report is not None and not args.worker_only:
        check_output_file(args.report, "--report", overwrite=args.overwrite or args.final_only)


def _seeds(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    if text is None:
        return tuple(default)
    try:
        return tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise ConfigError(f"--final-seeds {text!r}: comma-separated integers, e.g. 0,1,2") from None


def _options(args: argparse.Namespace) -> StorageOptions:
    return StorageOptions(
        heartbeat_s=args.heartbeat,
        grace_s=args.grace,
        max_retries=args.max_retries,
        pool_size=args.pool_size,
        max_overflow=args.max_overflow,
        connect_timeout_s=args.connect_timeout,
    )


def _tracker(args: argparse.Namespace, experiment_name: str):
    if args.no_tracking:
        return None
    from geoarena.store.mlflow_tracker import MLflowTracker

    try:
        uri = sqlalchemy_url(args.tracking_uri) if args.tracking_uri else None
        return MLflowTracker(experiment=args.mlflow_experiment or experiment_name, tracking_uri=uri)
    except Exception as exc:  # mlflow raises many types; the user needs the URI and the reason
        raise StorageError(
            mask_secrets(
                f"cannot open MLflow tracking at {args.tracking_uri or 'default'}: "
                f"{type(exc).__name__}: {exc}"
            )
        ) from None


def _open(args: argparse.Namespace, options: StorageOptions):
    storage = args.storage if args.storage is not None else ""
    if args.suite:
        from geoarena.core.registry import SUITES
        from geoarena.sweeps.suite_sweep import open_suite_sweep

        cells = SUITES.get(args.suite).cells(quick=args.quick, overrides=args.set or None)
        objectives = tuple((args.objectives or "metric").split(","))
        return open_suite_sweep(
            args.suite, cells, args.study, storage, options, args.timeout, objectives
        )
    exp = load_experiment(args.experiment)
    base = exp.base_config()
    if args.quick:
        base.quick = True
    if args.set:
        base = apply_overrides(base, args.set)
    s = exp.sweep
    metrics, directions = (
        parse_objectives(args.objectives) if args.objectives else (args.metric, args.direction)
    )
    cfg = SweepConfig(
        study=args.study,
        storage=storage,
        n_trials=args.n_trials if args.n_trials is not None else s.n_trials,
        directions=tuple(directions) if directions else s.directions,
        metrics=tuple(metrics) if metrics else s.metrics,
        sampler=args.sampler or s.sampler,
        # Optuna prunes single-objective studies only
        pruner=args.pruner or (s.pruner if len(metrics or s.metrics) == 1 else "none"),
        tradeoff=args.tradeoff or s.tradeoff,
        seeds=s.seeds,
        timeout_s=args.timeout,
        heartbeat_s=args.heartbeat,
        max_retries=args.max_retries,
    )
    if args.metric and not args.direction:
        cfg.directions = ("auto",) + ("minimize",) * (len(cfg.metrics) - 1)
    seed = None if args.sampler_seed is None else args.sampler_seed + args.worker_index
    return open_sweep(
        exp, cfg, options, sampler_seed=seed, must_be_new=args.new_study, base_cfg=base
    )


def _spawn_workers(args: argparse.Namespace, argv: list[str]) -> None:
    """``--workers N``: N copies of this command as worker-only processes; wait for all."""
    base, skip = [], False
    dropped = ("--workers", "--storage", "--tracking-uri", "--report")
    for a in argv:
        if skip:
            skip = False
        elif a in dropped:
            skip = True  # drop "--opt VALUE" (the value is the next token)
        elif a == "--new-study":
            continue  # the launcher created the study; workers join it
        elif not a.startswith(tuple(f"{d}=" for d in dropped)):
            base.append(a)
    # the URLs travel in the environment, never on a command line (visible in ps)
    env = dict(os.environ)
    for key, value in ((_STORAGE_ENV, args.storage), (_TRACKING_ENV, args.tracking_uri)):
        env.pop(f"{key}_FILE", None)
        if value:
            env[key] = value
    procs = []
    for i in range(args.workers):
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            *base,
            "--workers=1",
            "--worker-only",
            f"--worker-index={i}",
        ]
        procs.append(subprocess.Popen(cmd, env=env))
    codes = [p.wait() for p in procs]
    if any(codes):
        # a lost worker's trial is failed by heartbeat and retried by the others; the final
        # stage still runs on what the study holds (and fails clearly if nothing finished)
        log.warning("worker exit codes %s; going on with the study's finished trials", codes)
        print(f"warning: worker exit codes {codes}", file=sys.stderr, flush=True)


@cli_entry
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not args.verbose:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    handle, tracker, parent = None, None, None
    try:
        check_inputs(args)
        handle = _open(args, _options(args))
        tracker = _tracker(args, f"suite-{args.suite}" if args.suite else handle.experiment.name)
        from geoarena.sweeps.study import attach_parent_run

        parent = attach_parent_run(handle, tracker)
        print(f"{describe(handle)}; MLflow parent run {parent or '(no tracking)'}", flush=True)
        if args.create_only:
            return 0
        _search_and_final(args, argv, handle, tracker)
        _end_parent(args, tracker, parent, "FINISHED")
        return 0
    except (ConfigError, StorageError, DataError) as exc:
        _end_parent(args, tracker, parent, "FAILED")
        return fail(str(exc))
    except GeoArenaError as exc:
        _end_parent(args, tracker, parent, "FAILED")
        print(f"sweep error: {one_line(exc)}", file=sys.stderr)
        return 3
    except BaseException:
        _end_parent(args, tracker, parent, "FAILED")
        raise
    finally:
        if handle is not None:
            handle.close()


def _search_and_final(args: argparse.Namespace, argv: list[str], handle, tracker) -> None:
    t0 = time.perf_counter()
    if not args.final_only:
        if args.workers > 1:
            _spawn_workers(args, argv)
        else:
            report = run_worker(handle, tracker, allow_new=not args.suite)
            print(
                f"worker {report.worker}: "
                + ", ".join(f"{k}={len(v)}" for k, v in sorted(report.trials.items())),
                flush=True,
            )
    print(f"{describe(handle)} ({time.perf_counter() - t0:.1f} s)", flush=True)
    if len(handle.metrics) > 1 and not args.suite:
        from geoarena.sweeps.pareto import front_markdown, log_front

        rows = log_front(handle, tracker)
        print(f"Pareto front ({len(rows)} trials):\n" + front_markdown(rows, handle.metrics, None))
    if args.suite:
        from geoarena.sweeps.suite_sweep import suite_table

        for row in suite_table(handle):
            print(row)
        return
    seeds = _seeds(args.final_seeds, handle.config.seeds)
    if seeds and not args.worker_only:
        from geoarena.sweeps.final import run_final

        final = run_final(handle, tracker, seeds=seeds)
        if final is not None:
            text = final.to_markdown()
            print(text, flush=True)
            if args.report:
                args.report.write_text(text)


def _end_parent(args: argparse.Namespace, tracker, parent: str | None, status: str) -> None:
    """The launcher (not a worker-only process) always closes the parent: FINISHED or FAILED."""
    if tracker is None or not parent or args.worker_only:
        return
    try:
        tracker.end_run(parent, status)
    except Exception as exc:  # the store may be what failed; the original error matters more
        log.warning("could not close parent run %s: %s", parent, mask_secrets(str(exc)))


if __name__ == "__main__":
    sys.exit(main())
