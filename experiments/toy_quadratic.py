"""Toy experiment for the sweep machinery itself (tests and ``benchmarks/sweep_scaling.py``).

It trains nothing: ``run`` replaces the harness runner with a closed-form "learning curve" whose
final validation score peaks at ``train.lr = 1e-2`` and ``model_kwargs.width = 32``, and sleeps
``model_kwargs.sleep_s`` per epoch so that a trial costs time like a real one without using CPU.
It keeps the runner's contract (one child run per call with params, per-epoch metrics and tags;
``on_epoch`` may raise ``Pruned``; returns a ``RunResult``), so storage, pruning, retries and
MLflow wiring are exercised exactly as with a real experiment. Its inference latency is
closed-form too (proportional to the width), for metric-vs-latency sweeps (``--objectives
metric,latency``).

    python tools/sweep.py experiments/toy_quadratic.py --study toy --storage memory --n-trials 20

Runtime: n_trials x epochs x sleep_s (default 20 x 4 x 20 ms ~ 2 s). Expected: best val/score
> 0.9 after 20 TPE trials.
"""

from __future__ import annotations

import math
import time
from typing import Any

from geoarena.core.config import RunConfig, SweepConfig, TrainConfig
from geoarena.core.errors import Pruned
from geoarena.core.model import latency_metrics
from geoarena.core.runner import RunResult
from geoarena.core.tracking import NullTracker

SWEEP = SweepConfig(
    metrics=("val/score",),
    directions=("maximize",),
    sampler="tpe",
    pruner="median",
    seeds=(0, 1, 2),
)


def config() -> RunConfig:
    return RunConfig(
        task="toy/quadratic",
        model="toy/curve",
        train=TrainConfig(epochs=4, lr=1e-3),
        model_kwargs={"width": 8, "sleep_s": 0.02},
    )


def space(trial: Any, cfg: RunConfig) -> RunConfig:
    cfg.train.lr = trial.suggest_float("train.lr", 1e-4, 1.0, log=True)
    cfg.model_kwargs["width"] = trial.suggest_int("model_kwargs.width", 4, 64, log=True)
    return cfg


def score(lr: float, width: int, epoch: int, epochs: int, seed: int = 0) -> float:
    """Validation score after ``epoch`` (0-based): saturating curve towards a peak that falls off
    quadratically in log-space around lr=1e-2, width=32; the seed shifts it by a few 1e-3."""
    peak = math.exp(-((math.log10(lr) + 2.0) ** 2) / 2.0 - ((math.log2(width) - 5.0) ** 2) / 8.0)
    progress = 1.0 - math.exp(-3.0 * (epoch + 1) / epochs)
    return peak * progress + 0.003 * math.sin(seed + 1.0)


def run(
    cfg: RunConfig,
    tracker: Any = None,
    parent_id: str | None = None,
    on_epoch: Any = None,
    tags: dict[str, str] | None = None,
) -> RunResult:
    tracker = tracker or NullTracker()
    run_id = tracker.start_run(
        f"toy|lr{cfg.train.lr:.3g}|w{cfg.model_kwargs['width']}|s{cfg.seed}",
        tags={"task": cfg.task, "model": cfg.model, "seed": str(cfg.seed), **(tags or {})},
        parent_id=parent_id,
    )
    result = RunResult(run_id=run_id, status="RUNNING", config_hash=cfg.hash())
    tracker.log_params(run_id, cfg.flat())
    t0 = time.perf_counter()
    value = 0.0
    try:
        for epoch in range(cfg.train.epochs):
            time.sleep(float(cfg.model_kwargs.get("sleep_s", 0.0)))
            value = score(
                cfg.train.lr, int(cfg.model_kwargs["width"]), epoch, cfg.train.epochs, cfg.seed
            )
            metrics = {"val/score": value, "train/loss": 1.0 - value}
            tracker.log_metrics(run_id, metrics, step=epoch)
            if on_epoch is not None:
                on_epoch(epoch, metrics)
    except Pruned:
        tracker.set_tags(run_id, {"state": "PRUNED"})
        tracker.end_run(run_id, "KILLED")
        raise
    result.val = {"val/score": value}
    result.test = {"test/score": value + 0.002 * math.cos(3.0 * cfg.seed)}
    result.duration_s = time.perf_counter() - t0
    result.n_params = int(cfg.model_kwargs["width"]) ** 2
    # closed-form inference cost like the score: 0.05 ms per unit of width and sample over a
    # 100-sample test split, in the runner's latency keys (a metric-vs-latency trade-off)
    n_test = 100
    result.latency = latency_metrics(
        0.05e-3 * int(cfg.model_kwargs["width"]) * n_test, n_test, n_test, 4, "sample"
    )
    result.status = "FINISHED"
    tracker.log_metrics(run_id, {**result.test, **result.latency})
    tracker.end_run(run_id, "FINISHED")
    return result
