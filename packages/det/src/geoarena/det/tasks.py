"""Detection tasks registered with the harness (``det/...``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext, Task
from geoarena.det import data_neon, data_obb_synthetic, data_spacenet
from geoarena.det.coco_metric import DetectionMetric
from geoarena.det.datamodule import ChipDataModule
from geoarena.det.info import DetectionInfo
from geoarena.det.plots import overlay_figure

#: dense scenes: a 256 px NEON chip holds up to ~40 crowns; keep COCO's per-image cap above that
MAX_DETS = 300


def _neon_data(ctx: DataContext) -> ChipDataModule:
    return ChipDataModule(
        partial(data_neon.build_chips, ctx.cache_dir),
        DetectionInfo(
            data_neon.CLASS_NAMES,
            "hbb",
            gsd=0.1,
            source=data_neon.SOURCE,
            imgsz=512,
            split="spatial blocks 512 px (70/10/20)",
        ),
    )


def _spacenet_data(ctx: DataContext) -> ChipDataModule:
    return ChipDataModule(
        partial(data_spacenet.build_chips, ctx.cache_dir),
        DetectionInfo(
            data_spacenet.CLASS_NAMES,
            "hbb",
            band_names=("pan", "pan", "pan"),  # the panchromatic band in all three channels
            gsd=0.5,
            source=data_spacenet.SOURCE,
            imgsz=448,
            split="spatial blocks 300 px (60/15/25)",
        ),
    )


def _obb_data(ctx: DataContext) -> ChipDataModule:
    return ChipDataModule(
        partial(data_obb_synthetic.build_chips, ctx.cache_dir),
        DetectionInfo(
            data_obb_synthetic.CLASS_NAMES,
            "obb",
            gsd=0.1,
            source="synthetic objects on " + data_neon.SOURCE,
            imgsz=256,
            synthetic=True,
        ),
    )


def _visualize(box_type: str):
    def viz(batch: dict[str, Any], pred: Any) -> Any:
        return overlay_figure(batch, pred, box_type)

    return viz


def _detection_task(
    name: str,
    datamodule: Any,
    class_names: tuple[str, ...],
    box_type: str,
    capabilities: tuple[str, ...],
    description: str,
) -> Task:
    """A detection task scored by COCO AP50 (primary) with the package's detection metric."""
    n = len(class_names)
    return Task(
        name=name,
        kind="obb" if box_type == "obb" else "det",
        datamodule=datamodule,
        metrics=lambda: DetectionMetric(n, class_names, box_type, MAX_DETS),
        metric="ap50",
        num_classes=n,
        class_names=class_names,
        capabilities=capabilities,
        modality="det",
        description=description,
        visualize=_visualize(box_type),
    )


@TASKS.register("det/neon-trees")
def neon_trees() -> Task:
    return _detection_task(
        "det/neon-trees",
        _neon_data,
        data_neon.CLASS_NAMES,
        "hbb",
        ("rgb", "detection", "vegetation"),
        "NEON 10 cm RGB tree crowns (Yellowstone + OSBS), spatially held-out blocks",
    )


@TASKS.register("det/spacenet-buildings-boxes")
def spacenet_buildings_boxes() -> Task:
    return _detection_task(
        "det/spacenet-buildings-boxes",
        _spacenet_data,
        data_spacenet.CLASS_NAMES,
        "hbb",
        ("panchromatic", "detection", "urban"),
        "SpaceNet-4 Atlanta 0.5 m building footprints as boxes, spatially held-out blocks",
    )


@TASKS.register("det/obb-synthetic-vehicles")
def obb_synthetic_vehicles() -> Task:
    return _detection_task(
        "det/obb-synthetic-vehicles",
        _obb_data,
        data_obb_synthetic.CLASS_NAMES,
        "obb",
        ("rgb", "detection", "oriented", "synthetic"),
        "SYNTHETIC rotated vehicles painted on real NEON backgrounds (OBB pipeline check)",
    )
