"""Entry point ``geoarena.plugins: det``: registers detection tasks, YOLO models and suites."""

from __future__ import annotations

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


def register() -> None:
    from geoarena.core.registry import MODELS
    from geoarena.det import tasks  # noqa: F401  (registers det/* tasks)
    from geoarena.det.suites import register_suites

    for arch in ("yolov8", "yolov8-p2", "yolo11"):
        for size in ("n", "s", "m"):
            name = f"det/{arch.replace('-p2', '')}{size}{'-p2' if arch.endswith('p2') else ''}"

            def factory(_arch: str = arch, _size: str = size, **kw):
                from geoarena.det.yolo_adapter import YoloAdapter  # ultralytics loads here

                return YoloAdapter(**{"arch": _arch, "size": _size, **kw})

            MODELS.add(
                name,
                factory,
                kinds=("det", "obb"),
                family="ultralytics-yolo",
                protocols=("finetune",),  # ultralytics trains the whole network
                train_keys=YOLO_TRAIN_KEYS,
            )
    register_suites()
