"""Sweep throughput on PostgreSQL: GeoArena workers vs raw Optuna on the same storage.

    python benchmarks/sweep_scaling.py [--trials 60] [--sleep-ms 100] [--epochs 4]

Both sides run the same trivial objective (the toy experiment's closed-form learning curve:
``epochs`` epochs of ``sleep_ms / epochs`` each, ``trial.report`` + ``should_prune`` every epoch,
TPE sampler, median pruner) on the same heartbeat-enabled PostgreSQL RDB storage (one throwaway
database, one study per configuration):

- ours: ``geoarena.core.sweep.run_worker`` — study lock per claimed trial (exact trial count),
  own heartbeat, stale-trial failing, user attrs; no MLflow (tracking is measured by the tests);
- raw: ``study.optimize(objective, n_trials=trials / workers)`` per worker process.

Workers are separate processes started together behind a barrier (imports excluded); trials/s is
finished trials over the wall time from the barrier to the last worker's end. Goals: 2 of our
workers >= 1.8 x one worker; our overhead <= 10 % of raw Optuna's time per trial (1 worker).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "experiments" / "toy_quadratic.py"


def _objective_factory(epochs: int, sleep_s: float):
    from geoarena.core.sweep_experiment import load_experiment

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


def _worker(
    kind: str,
    url: str,
    study: str,
    trials: int,
    workers: int,
    epochs: int,
    sleep_ms: float,
    barrier,
    out,
) -> None:
    warnings.simplefilter("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from geoarena.core.config import RunConfig, SweepConfig, TrainConfig
    from geoarena.core.sweep import open_sweep, run_worker
    from geoarena.core.sweep_experiment import load_experiment
    from geoarena.core.sweep_storage import StorageOptions, open_storage

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
        handle = open_sweep(exp, cfg, opts, base_cfg=base)
        barrier.wait()
        t0 = time.perf_counter()
        run_worker(handle)
        t1 = time.perf_counter()
        handle.close()
    else:
        storage = open_storage(url, opts)
        s = optuna.load_study(
            study_name=study,
            storage=storage,
            sampler=optuna.samplers.TPESampler(n_startup_trials=5),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
        )
        objective = _objective_factory(epochs, sleep_ms / 1000 / epochs)
        barrier.wait()
        t0 = time.perf_counter()
        s.optimize(objective, n_trials=trials // workers)
        t1 = time.perf_counter()
    out.put((t0, t1))


def measure(
    kind: str, url: str, workers: int, trials: int, epochs: int, sleep_ms: float
) -> tuple[float, int]:
    """(trials/s, finished trials) of ``workers`` processes of ``kind`` on a fresh study."""
    import optuna

    from geoarena.core.sweep_storage import StorageOptions, open_storage

    study = f"{kind}-{workers}w-{time.time_ns()}"
    if kind == "raw":
        optuna.create_study(
            study_name=study, storage=open_storage(url, StorageOptions()), direction="maximize"
        )
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker, args=(kind, url, study, trials, workers, epochs, sleep_ms, barrier, out)
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    spans = [out.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
    s = optuna.load_study(study_name=study, storage=open_storage(url, StorageOptions()))
    finished = sum(t.state.name in ("COMPLETE", "PRUNED") for t in s.get_trials(deepcopy=False))
    wall = max(t1 for _, t1 in spans) - min(t0 for t0, _ in spans)
    return finished / wall, finished


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--trials", type=int, default=60)
    p.add_argument(
        "--sleep-ms", type=float, default=100.0, help="objective time per trial (split over epochs)"
    )
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument(
        "--repeats", type=int, default=1, help="best of this many runs per configuration"
    )
    args = p.parse_args()
    warnings.simplefilter("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from geoarena.core.sweep_testing import throwaway_database

    results: dict[tuple[str, int], float] = {}
    with throwaway_database("geoarena_bench") as url:
        for kind, workers in (("raw", 1), ("ours", 1), ("raw", 2), ("ours", 2)):
            best = 0.0
            for _ in range(args.repeats):
                tps, n = measure(kind, url, workers, args.trials, args.epochs, args.sleep_ms)
                assert n == args.trials, (
                    f"{kind} {workers}w finished {n} trials, expected {args.trials}"
                )
                best = max(best, tps)
            results[(kind, workers)] = best
            print(
                f"{kind:4s} {workers} worker(s): {best:6.2f} trials/s  ({1000 / best:6.1f} ms/trial wall)",
                flush=True,
            )
    speedup = results[("ours", 2)] / results[("ours", 1)]
    raw_speedup = results[("raw", 2)] / results[("raw", 1)]
    overhead = results[("raw", 1)] / results[("ours", 1)] - 1.0
    overhead2 = results[("raw", 2)] / results[("ours", 2)] - 1.0
    print(f"speed-up 2 vs 1 worker: ours {speedup:.2f}x, raw Optuna {raw_speedup:.2f}x")
    print(
        f"our overhead vs raw Optuna: {overhead * 100:+.1f} % (1 worker), {overhead2 * 100:+.1f} % (2 workers)"
    )
    ok_speedup = speedup >= 1.8
    ok_overhead = overhead <= 0.10
    print(
        f"RESULT sweep_scaling_overhead overhead_pct={overhead * 100:.1f} goal=10 {'PASS' if ok_overhead else 'FAIL'}"
    )
    print(
        f"RESULT sweep_scaling speedup_2w={speedup:.2f} goal=1.8 {'PASS' if ok_speedup and ok_overhead else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
