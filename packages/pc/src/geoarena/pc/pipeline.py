"""Fit a registered point-cloud model on a whole labelled LAS/LAZ file (for classifying others)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.model import ModelAdapter
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.task import Task
from geoarena.pc.asprs import IGNORE, ClassMap
from geoarena.pc.data import CloudDataConfig, CloudDataModule
from geoarena.pc.io import read_las

MODEL_FACTORIES = {
    "random-forest": "random_forest",
    "randla": "randla",
    "pointnet2": "pointnet2",
}


def fit_on_las(
    path: str | Path,
    class_map: ClassMap,
    model: str = "random-forest",
    train: TrainConfig | None = None,
    model_kwargs: dict[str, Any] | None = None,
    data: CloudDataConfig | None = None,
    seed: int = 0,
    device: str = "auto",
) -> tuple[ModelAdapter, CloudDataModule]:
    """Train ``model`` (``random-forest``, ``randla`` or ``pointnet2``) on every labelled point
    of ``path`` except one validation stripe; returns the fitted adapter and its data."""
    from geoarena.core.seeding import seed_everything
    from geoarena.pc import registry

    if model not in MODEL_FACTORIES:
        raise ValueError(f"unknown model {model!r}; choose from {sorted(MODEL_FACTORIES)}")
    seed_everything(seed)
    names = class_map.class_names
    cfg = replace(data or CloudDataConfig(), train_on_test=True)
    dm = CloudDataModule(lambda: read_las(path), class_map, cfg)
    task = Task(
        name=f"pc/file:{Path(path).name}",
        kind="pc_seg",
        datamodule=lambda ctx: dm,
        metrics=lambda: ConfusionMatrixMetric(
            len(names), "point_labels", ignore_index=IGNORE, class_names=names
        ),
        metric="miou",
        num_classes=len(names),
        class_names=names,
        modality="pc",
    )
    dm.setup(seed=seed)
    adapter = getattr(registry, MODEL_FACTORIES[model])(**(model_kwargs or {}))
    run_cfg = RunConfig(
        task=task.name, model=model, seed=seed, train=train or TrainConfig(), device=device
    )
    adapter.build(task, STANDARD_PROTOCOLS[0], run_cfg, dm)
    adapter.fit(dm, run_cfg.train, lambda epoch, metrics: None)
    return adapter, dm
