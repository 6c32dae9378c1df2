"""Tiny CPU fine-tuning sweep on real EO data: NEON 10 cm RGB tree-cover chips (deepforest wheel).

Task ``eo/neon-treecover-cls`` (real NEON aerial RGB over OSBS and Yellowstone, tree / no-tree
chips from crown boxes, spatial block split), model ``eo/resnet18`` fine-tuned from random init
(no hub weights here; pass ``--set model_kwargs.weights=/path/resnet18.pth`` for ImageNet ones).
Searched: learning rate, weight decay, optimiser, batch size. Pruned on ``val/overall_accuracy``
epoch by epoch (median pruner).

    python tools/sweep.py experiments/eo_tiny_finetune.py --study eo-tiny --storage memory \
        --n-trials 8 --final-seeds 0,1,2

Runtime on 2 CPU cores: ~10-25 s per trial (3 short epochs), ~3-5 min for 8 trials + 3 seeds.
Expected: pruned trials among the 8; final test accuracy with a 95 % bootstrap CI over 3 seeds.
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
        model="eo/resnet18",
        protocol="finetune",
        train=TrainConfig(
            epochs=3,
            batch_size=32,
            lr=1e-3,
            early_stop_patience=3,
            max_steps_per_epoch=8,
            amp=False,
        ),
    )


def space(trial: Any, cfg: RunConfig) -> RunConfig:
    cfg.train.lr = trial.suggest_float("train.lr", 1e-5, 3e-2, log=True)
    cfg.train.weight_decay = trial.suggest_float("train.weight_decay", 1e-6, 1e-1, log=True)
    cfg.train.optimizer = trial.suggest_categorical("train.optimizer", ["adamw", "sgd"])
    cfg.train.batch_size = trial.suggest_categorical("train.batch_size", [16, 32])
    return cfg
