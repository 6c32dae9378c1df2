"""Model and suite registration of the point-cloud package."""

from __future__ import annotations

from typing import Any

from geoarena.core.honoured import ALL_TRAIN_KEYS
from geoarena.core.registry import MODELS


@MODELS.register("pc/randla", kinds=("pc_seg",), protocols=("finetune",), train_keys=ALL_TRAIN_KEYS)
def randla(**kwargs: Any):
    """RandLA-Net-style network (random sampling, local spatial encoding, attentive pooling)."""
    from geoarena.pc.models.adapter import PointNetAdapter

    return PointNetAdapter(arch="randla", **kwargs)


@MODELS.register(
    "pc/pointnet2", kinds=("pc_seg",), protocols=("finetune",), train_keys=ALL_TRAIN_KEYS
)
def pointnet2(**kwargs: Any):
    """PointNet++-style network (farthest-point sampling, kNN grouping, feature propagation)."""
    from geoarena.pc.models.adapter import PointNetAdapter

    kwargs.setdefault("widths", (32, 64, 128, 256))
    return PointNetAdapter(arch="pointnet2", **kwargs)


@MODELS.register("pc/random-forest", kinds=("pc_seg",), protocols=("finetune",), train_keys=())
def random_forest(**kwargs: Any):
    """Random forest on the per-point geometric features."""
    from geoarena.pc.models.forest import RandomForestAdapter

    return RandomForestAdapter(**kwargs)


def register_suites() -> None:
    from geoarena.core.suite import SuiteEntry, extend_suite
    from geoarena.pc.tasks import TILES, task_names

    for name in TILES:
        # default suite: fold 0, short schedules, 2 seeds (≤ 2.5 min for both tiles on 2 cores)
        extend_suite(
            "default",
            SuiteEntry(
                task=f"pc/{name}",
                models=("pc/randla", "pc/random-forest"),
                seeds=(0, 1),
                train={
                    "epochs": 3,
                    "batch_size": 2,
                    "lr": 0.01,
                    "early_stop_patience": 0,
                    "max_steps_per_epoch": 5,
                },
                model_kwargs={"pc/randla": {"widths": (8, 16, 32, 64)}},
                quick_train={"epochs": 1, "max_steps_per_epoch": 2},
            ),
        )
        for task in task_names(name):
            extend_suite(
                "pc",
                SuiteEntry(
                    task=task,
                    models=("pc/randla", "pc/pointnet2", "pc/random-forest"),
                    seeds=(0, 1),
                    # ~1–2 min per RandLA cell on 2 CPU cores (epoch = ~22 crops of 2,048
                    # points + one validation pass); the best epoch by validation mIoU over
                    # the classes the validation stripe holds is kept
                    train={"epochs": 40, "batch_size": 4, "lr": 0.01, "early_stop_patience": 15},
                    quick_train={"epochs": 2, "max_steps_per_epoch": 4},
                ),
                description="point-cloud segmentation: 2 real LiDAR tiles × 4 spatial stripe folds × 3 models × 2 seeds",
            )
