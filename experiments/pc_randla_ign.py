"""RandLA-Net-style segmentation of the IGN LiDAR HD tile (spatial stripe fold 0 held out).

    nice -n 10 .venv/bin/python tools/sweep.py experiments/pc_randla_ign.py --study pc-randla --n-trials 8
    # one run of the base config:
    nice -n 10 .venv/bin/python tools/run_benchmark.py --suite pc --tasks pc/ign-lidarhd --models pc/randla --seeds 0

Runtime: ~5 min per run on 2 idle CPU cores (30 epochs × up to 24 crops of 2,048 points,
early stopping after 8 flat epochs). Expected: test OA around the random forest's (0.83 on fold
0; per-fold figures in benchmarks/RESULTS.md, pc section). The sweep tunes learning rate, width,
neighbours and the class-weight exponent on val/miou (never test).
"""

from __future__ import annotations

from typing import Any

from geoarena.core.config import RunConfig, SweepConfig, TrainConfig

SWEEP = SweepConfig(
    metrics=("val/miou",), directions=("maximize",), sampler="tpe", pruner="median", seeds=(0,)
)


def config() -> RunConfig:
    return RunConfig(
        task="pc/ign-lidarhd",
        model="pc/randla",
        seed=0,
        train=TrainConfig(epochs=30, batch_size=4, lr=0.01, early_stop_patience=8, amp=False),
        model_kwargs={"widths": (16, 32, 64, 128), "k": 16, "class_weight_power": 0.25},
    )


def space(trial: Any, cfg: RunConfig) -> RunConfig:
    cfg.train.lr = trial.suggest_float("train.lr", 1e-3, 3e-2, log=True)
    width = trial.suggest_categorical("model_kwargs.width", [8, 16, 32])
    cfg.model_kwargs["widths"] = (width, 2 * width, 4 * width, 8 * width)
    cfg.model_kwargs["k"] = trial.suggest_categorical("model_kwargs.k", [8, 16, 24])
    cfg.model_kwargs["class_weight_power"] = trial.suggest_float(
        "model_kwargs.class_weight_power", 0.0, 0.5
    )
    return cfg
