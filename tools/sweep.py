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
    check_input_file,
    check_output_file,
    check_url,
    cli_entry,
    fail,
    mask_secrets,
    one_line,
    with_url_timeouts,
)
from geoarena.cli.sweep_args import STORAGE_ENV, TRACKING_ENV, parse_sweep_args
from geoarena.core.config import SweepConfig, apply_overrides
from geoarena.core.errors import ConfigError, DataError, GeoArenaError
from geoarena.sweeps.experiment import load_experiment
from geoarena.sweeps.objective import parse_objectives
from geoarena.sweeps.storage import StorageError, StorageOptions, sqlalchemy_url, storage_kind
from geoarena.sweeps.study import describe, open_sweep
from geoarena.sweeps.worker import run_worker

log = logging.getLogger("geoarena.sweep")
with_url_timeouts()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """This tool's command line (:mod:`geoarena.cli.sweep_args`), with this docstring as help."""
    return parse_sweep_args(argv, __doc__)


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
    for key, value in ((STORAGE_ENV, args.storage), (TRACKING_ENV, args.tracking_uri)):
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
