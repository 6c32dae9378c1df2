"""Sweep throughput on PostgreSQL: GeoArena workers vs raw Optuna on the same storage.

    python benchmarks/sweep_scaling.py [--trials 160] [--rounds 3]

Both sides run the same trivial objective (the toy experiment's closed-form learning curve:
``epochs`` epochs of ``sleep_ms / epochs`` each, ``trial.report`` + ``should_prune`` every epoch)
with the same sampler and pruner (``make_sampler("tpe")``, ``make_pruner("median")``) on the same
PostgreSQL server:

- ours: ``geoarena.sweeps.study.run_worker`` — exact study-wide trial count (slot claimed in the
  trial-creation transaction), own heartbeat, stale-trial failing, ``worker``/``test`` user attrs,
  trial reads in one statement (``geoarena.sweeps.rdb_read``); no MLflow (tracking is
  measured by the tests);
- raw Optuna as its documentation shows for a shared RDB: ``optuna.load_study(study_name,
  storage=<database URL>)`` (Optuna's own ``RDBStorage`` defaults, no heartbeat, no retry
  callback) + ``study.optimize(objective, n_trials=trials / workers)``.

Workers are separate processes (1 thread each, pinned) that import, connect and load the study,
then start together behind a barrier; a run's figure is its finished trials over the wall time
from the barrier to the last worker's end. The four configurations (raw/ours × 1/2 workers) run
interleaved on fresh studies for ``--rounds`` rounds (benchmarks/_harness.py: the first
configuration alternates, paired bootstrap CI of each ratio). ``--count`` also counts the
database round trips per trial of each side (statements + BEGIN/COMMIT/ROLLBACK + pool
pre-pings, from SQLAlchemy events) on one untimed single-worker run.
Goals: 2 of our workers >= 1.8 x one worker; our time per trial <= 1.10 x raw Optuna's (1 worker).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from _harness import Bench, Side, interleave  # noqa: E402

TOY = REPO / "experiments" / "toy_quadratic.py"


def _objective_factory(epochs: int, sleep_s: float):
    from geoarena.sweeps.experiment import load_experiment

    score = load_experiment(TOY).run_fn.__globals__["score"]

    def objective(trial):
        import optuna

        lr = trial.suggest_float("train.lr", 1e-4, 1.0, log=True)
        width = trial.suggest_int("model_kwargs.width", 4, 64, log=True)
        value = 0.0
        for epoch in range(epochs):
            time.sleep(sleep_s)
            value = score(lr, width, epoch, epochs, 0)
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    return objective


def _count_round_trips() -> Counter:
    """Count what reaches the server from every engine of this process."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    counts: Counter = Counter()

    def bump(key):
        def listener(*args, **kwargs):
            counts[key] += 1

        return listener

    event.listen(Engine, "before_cursor_execute", bump("statements"))
    for name in ("begin", "commit", "rollback"):
        event.listen(Engine, name, bump(name))
    event.listen(Pool, "checkout", bump("pings"))  # pool_pre_ping: one SELECT 1 per checkout
    return counts


def _worker(
    kind: str,
    url: str,
    study: str,
    trials: int,
    workers: int,
    epochs: int,
    sleep_ms: float,
    count: bool,
    barrier,
    out,
) -> None:
    warnings.simplefilter("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from geoarena.core.config import RunConfig, SweepConfig, TrainConfig
    from geoarena.sweeps.experiment import load_experiment
    from geoarena.sweeps.storage import StorageOptions
    from geoarena.sweeps.study import make_pruner, make_sampler, open_sweep
    from geoarena.sweeps.worker import run_worker

    opts = StorageOptions(heartbeat_s=10)
    if kind == "ours":
        exp = load_experiment(TOY)
        base = RunConfig(
            task="toy/quadratic",
            model="toy/curve",
            train=TrainConfig(epochs=epochs),
            model_kwargs={"width": 8, "sleep_s": sleep_ms / 1000 / epochs},
        )
        cfg = SweepConfig(
            study=study,
            storage=url,
            n_trials=trials,
            metrics=("val/score",),
            directions=("maximize",),
            sampler="tpe",
            pruner="median",
        )
        # counting runs use a fixed sampler seed on both sides: same trials, same prunings
        handle = open_sweep(exp, cfg, opts, base_cfg=base, sampler_seed=0 if count else None)
        counts = _count_round_trips() if count else Counter()
        barrier.wait()
        t0, c0 = time.perf_counter(), time.process_time()
        run_worker(handle)
        t1, c1 = time.perf_counter(), time.process_time()
        handle.close()
    else:
        from geoarena.sweeps.storage import _pg_url

        s = optuna.load_study(
            study_name=study,
            # Optuna's documented form: a database URL (driver named, as SQLAlchemy needs for
            # "postgres://" URLs) and its own RDBStorage defaults
            storage=_pg_url(url),
            sampler=make_sampler("tpe", 1, seed=0 if count else None),
            pruner=make_pruner("median", 1, epochs),
        )
        objective = _objective_factory(epochs, sleep_ms / 1000 / epochs)
        counts = _count_round_trips() if count else Counter()
        barrier.wait()
        t0, c0 = time.perf_counter(), time.process_time()
        s.optimize(objective, n_trials=trials // workers)
        t1, c1 = time.perf_counter(), time.process_time()
    out.put((t0, t1, c1 - c0, dict(counts)))


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far (Linux ``/proc/stat``)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def measure(
    kind: str,
    url: str,
    workers: int,
    trials: int,
    epochs: int,
    sleep_ms: float,
    count: bool = False,
) -> tuple[float, int, dict[str, float]]:
    """(trials/s, finished trials, per-trial figures) of ``workers`` processes of ``kind`` on a
    fresh study. Per-trial figures: round trips by kind (``count``), ``cpu_ms`` (CPU time of the
    worker processes, heartbeat threads included) and ``machine_busy`` (fraction of all cores
    busy from the barrier to the last worker's end: workers, PostgreSQL and everything else)."""
    import optuna

    from geoarena.sweeps.storage import StorageOptions, open_storage

    study = f"{kind}-{workers}w-{time.time_ns()}"
    if kind == "raw":
        optuna.create_study(
            study_name=study, storage=open_storage(url, StorageOptions()), direction="maximize"
        )
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker,
            args=(kind, url, study, trials, workers, epochs, sleep_ms, count, barrier, out),
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=300)
    busy0, total0 = _busy_jiffies()
    spans = [out.get(timeout=900) for _ in procs]
    busy1, total1 = _busy_jiffies()
    for p in procs:
        p.join()
    s = optuna.load_study(study_name=study, storage=open_storage(url, StorageOptions()))
    finished = sum(t.state.name in ("COMPLETE", "PRUNED") for t in s.get_trials(deepcopy=False))
    wall = max(t1 for _, t1, _, _ in spans) - min(t0 for t0, _, _, _ in spans)
    total: Counter = Counter()
    for *_, c in spans:
        total.update(c)
    per_trial = {k: v / max(1, finished) for k, v in total.items()}
    per_trial["cpu_ms"] = 1000 * sum(c for _, _, c, _ in spans) / max(1, finished)
    per_trial["machine_busy"] = (busy1 - busy0) / max(1, total1 - total0)
    return finished / wall, finished, per_trial


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # a trial's wall time depends on whether (and when) the median pruner stops it, so trials/s
    # of one study carries the noise of its pruned fraction (~1/sqrt(trials)); at 80 trials the
    # per-repeat 2-vs-1 ratio swung 1.66-2.03 on a quiet machine, at 160 1.89-2.12
    p.add_argument("--trials", type=int, default=160)
    p.add_argument(
        "--sleep-ms", type=float, default=100.0, help="objective time per trial (split over epochs)"
    )
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the 4 configs")
    p.add_argument(
        "--count", action="store_true", help="also count round trips per trial (untimed run)"
    )
    args = p.parse_args()
    if args.trials < 10 or args.trials % 2:
        p.error("--trials must be an even number >= 10 (the 2-worker raw side splits it)")
    warnings.simplefilter("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from geoarena.sweeps.testing import throwaway_database

    bench = Bench("sweep_scaling", ["optuna", "sqlalchemy", "psycopg2-binary", "psycopg"])
    with throwaway_database("geoarena_bench") as url:
        if args.count:
            for kind in ("raw", "ours"):
                _, _n, per = measure(kind, url, 1, 20, args.epochs, 0.0, count=True)
                trips_by = {k: v for k, v in per.items() if k not in ("cpu_ms", "machine_busy")}
                trips = sum(trips_by.values())
                detail = ", ".join(f"{k} {v:.1f}" for k, v in sorted(trips_by.items()))
                print(f"round trips per trial, {kind:4s} 1 worker: {trips:5.1f}  ({detail})")

        def config(kind: str, workers: int):
            def run() -> dict:
                tps, n, per = measure(kind, url, workers, args.trials, args.epochs, args.sleep_ms)
                assert n == args.trials, (
                    f"{kind} {workers}w finished {n} trials, expected {args.trials}"
                )
                # seconds per trial: ratios of it are inverse ratios of trials/s
                return {
                    "seconds": 1.0 / tps,
                    "trials_per_s": tps,
                    "worker_cpu_ms": per["cpu_ms"],
                    "machine_busy": per["machine_busy"],
                }

            return run

        sides = [
            Side("raw Optuna 1 worker", config("raw", 1), 1, "1 process"),
            Side("ours 1 worker", config("ours", 1), 1, "1 process"),
            Side("raw Optuna 2 workers", config("raw", 2), 1, "2 processes, 1 thread each"),
            Side("ours 2 workers", config("ours", 2), 1, "2 processes, 1 thread each"),
        ]
        interleave(sides, args.rounds, warmup=0)
    raw1, ours1, raw2, ours2 = sides
    bench.summary(sides, keys=("trials_per_s", "worker_cpu_ms", "machine_busy"))
    bench.result(
        "speedup_2w",
        raw1.seconds(),
        raw2.seconds(),
        1.8,
        "raw:2x1",
        name="sweep_scaling_raw_optuna",
        extra="(raw Optuna's own scaling, for reference)",
    )
    bench.result(
        "time_per_trial_ratio",
        ours1.seconds(),
        raw1.seconds(),
        1.10,
        "ours:1x1,raw:1x1",
        higher_is_better=False,
        name="sweep_scaling_overhead",
        extra="(ours / raw Optuna, 1 worker)",
    )
    bench.done()
    bench.result("speedup_2w", ours1.seconds(), ours2.seconds(), 1.8, "ours:2x1,ours:1x1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
