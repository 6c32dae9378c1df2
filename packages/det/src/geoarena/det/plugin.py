"""Entry point ``geoarena.plugins: det``: registers detection tasks, YOLO models and suites."""

from __future__ import annotations

from dataclasses import dataclass

from geoarena.core.registry import MODELS

#: the TrainConfig fields the YOLO adapter maps onto ultralytics' training arguments
YOLO_TRAIN_KEYS = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "optimizer",
    "scheduler",
    "warmup_epochs",
    "early_stop_patience",
    "amp",
    "num_workers",
    "max_steps_per_epoch",
)


@dataclass(frozen=True)
class YoloVariant:
    """One registered YOLO model: ultralytics ``arch`` (``yolov8``, ``yolov8-p2``, ``yolo11``)
    at ``size`` (n/s/m)."""

    arch: str
    size: str

    @property
    def name(self) -> str:
        """``det/yolov8n``, ``det/yolov8n-p2``, ``det/yolo11s`` …"""
        base, p2 = self.arch.removesuffix("-p2"), self.arch.endswith("-p2")
        return f"det/{base}{self.size}{'-p2' if p2 else ''}"


YOLO_FAMILY = tuple(
    YoloVariant(arch, size) for arch in ("yolov8", "yolov8-p2", "yolo11") for size in "nsm"
)


@MODELS.register_each(
    YOLO_FAMILY,
    name=lambda v: v.name,
    kinds=("det", "obb"),
    family="ultralytics-yolo",
    protocols=("finetune",),  # ultralytics trains the whole network
    train_keys=YOLO_TRAIN_KEYS,
)
def make_yolo(variant: YoloVariant, **kw):
    """A YOLO adapter of ``variant``; ultralytics loads here, not at registration."""
    from geoarena.det.yolo_adapter import YoloAdapter

    return YoloAdapter(**{"arch": variant.arch, "size": variant.size, **kw})


def register() -> None:
    """Register the det/* tasks (on import of ``geoarena.det.tasks``) and the suites; the YOLO
    models registered on import of this module, beside ``make_yolo``."""
    from geoarena.det import tasks  # noqa: F401  (registers det/* tasks)
    from geoarena.det.suites import register_suites

    register_suites()
