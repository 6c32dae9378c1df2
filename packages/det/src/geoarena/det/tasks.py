"""Detection tasks registered with the harness (``det/...``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext, Task
from geoarena.det import data_neon, data_obb_synthetic, data_spacenet
from geoarena.det.coco_metric import DetectionMetric
from geoarena.det.datamodule import ChipDataModule
from geoarena.det.plots import overlay_figure

#: dense scenes: a 256 px NEON chip holds up to ~40 crowns; keep COCO's per-image cap above that
MAX_DETS = 300


def _neon_data(ctx: DataContext) -> ChipDataModule:
    return ChipDataModule(
        partial(data_neon.build_chips, ctx.cache_dir),
        data_neon.CLASS_NAMES,
        "hbb",
        info={
            "gsd": 0.1,
            "source": data_neon.SOURCE,
            "imgsz": 512,
            "split": "spatial blocks 512 px (70/10/20)",
        },
    )


def _spacenet_data(ctx: DataContext) -> ChipDataModule:
    return ChipDataModule(
        partial(data_spacenet.build_chips, ctx.cache_dir),
        data_spacenet.CLASS_NAMES,
        "hbb",
        info={
            "gsd": 0.5,
            "source": data_spacenet.SOURCE,
            "imgsz": 448,
            "split": "spatial blocks 300 px (60/15/25)",
        },
    )


def _obb_data(ctx: DataContext) -> ChipDataModule:
    return ChipDataModule(
        partial(data_obb_synthetic.build_chips, ctx.cache_dir),
        data_obb_synthetic.CLASS_NAMES,
        "obb",
        info={
            "gsd": 0.1,
            "source": "synthetic objects on " + data_neon.SOURCE,
            "imgsz": 256,
            "synthetic": True,
        },
    )


def _visualize(box_type: str):
    def viz(batch: dict[str, Any], pred: Any) -> Any:
        return overlay_figure(batch, pred, box_type)

    return viz


@TASKS.register("det/neon-trees")
def neon_trees() -> Task:
    return Task(
        name="det/neon-trees",
        kind="det",
        datamodule=_neon_data,
        metrics=lambda: DetectionMetric(1, data_neon.CLASS_NAMES, "hbb", MAX_DETS),
        metric="ap50",
        num_classes=1,
        class_names=data_neon.CLASS_NAMES,
        bands=("red", "green", "blue"),
        capabilities=("rgb", "detection", "vegetation"),
        modality="det",
        description="NEON 10 cm RGB tree crowns (Yellowstone + OSBS), spatially held-out blocks",
        visualize=_visualize("hbb"),
    )


@TASKS.register("det/spacenet-buildings-boxes")
def spacenet_buildings_boxes() -> Task:
    return Task(
        name="det/spacenet-buildings-boxes",
        kind="det",
        datamodule=_spacenet_data,
        metrics=lambda: DetectionMetric(1, data_spacenet.CLASS_NAMES, "hbb", MAX_DETS),
        metric="ap50",
        num_classes=1,
        class_names=data_spacenet.CLASS_NAMES,
        bands=("pan", "pan", "pan"),
        capabilities=("panchromatic", "detection", "urban"),
        modality="det",
        description="SpaceNet-4 Atlanta 0.5 m building footprints as boxes, spatially held-out blocks",
        visualize=_visualize("hbb"),
    )


@TASKS.register("det/obb-synthetic-vehicles")
def obb_synthetic_vehicles() -> Task:
    return Task(
        name="det/obb-synthetic-vehicles",
        kind="obb",
        datamodule=_obb_data,
        metrics=lambda: DetectionMetric(2, data_obb_synthetic.CLASS_NAMES, "obb", MAX_DETS),
        metric="ap50",
        num_classes=2,
        class_names=data_obb_synthetic.CLASS_NAMES,
        bands=("red", "green", "blue"),
        capabilities=("rgb", "detection", "oriented", "synthetic"),
        modality="det",
        description="SYNTHETIC rotated vehicles painted on real NEON backgrounds (OBB pipeline check)",
        visualize=_visualize("obb"),
    )
