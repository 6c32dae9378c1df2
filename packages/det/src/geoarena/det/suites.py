"""Suite entries of the detection package: a short "default" share and the full "det" suite."""

from __future__ import annotations


def register_suites() -> None:
    from geoarena.core.suite import SuiteEntry, extend_suite

    # default suite: NEON ~2 min a cell on 2 CPU cores. The NEON recipe of experiments/det_neon_cpu.py
    # (imgsz 256 native 10 cm chips, AdamW + cosine, mosaic closed for the last epochs) cut to 10
    # epochs, so the cells learn something real (the 17-min recipe reaches test AP50 0.30)
    short = {
        "epochs": 10,
        "batch_size": 8,
        "lr": 2e-3,
        "optimizer": "adamw",
        "scheduler": "cosine",
        "early_stop_patience": 0,
        "warmup_epochs": 1,
    }
    quick = {"epochs": 1, "max_steps_per_epoch": 4}
    kwargs = {"det/yolov8n": {"close_mosaic": 2, "imgsz": 256}}  # native 10 cm chips
    extend_suite(
        "default",
        SuiteEntry(
            "det/neon-trees",
            ("det/yolov8n",),
            seeds=(0, 1),
            train=short,
            quick_train=quick,
            model_kwargs=kwargs,
        ),
    )
    extend_suite(
        "default",
        SuiteEntry(
            "det/obb-synthetic-vehicles",
            ("det/yolov8n",),
            seeds=(0, 1),
            # a pipeline check only (the synthetic OBB task needs far more than a short
            # schedule to score; 6 such epochs still gave AP50 0.0): 2 epochs of 4 steps
            train={
                "epochs": 2,
                "batch_size": 16,
                "max_steps_per_epoch": 4,
                "lr": 2e-3,
                "early_stop_patience": 0,
                "warmup_epochs": 0,
            },
            quick_train={"epochs": 1},
        ),
    )
    # full schedules
    full = {
        "epochs": 60,
        "batch_size": 16,
        "lr": 2e-3,
        "early_stop_patience": 15,
        "warmup_epochs": 2,
    }
    desc = (
        "object detection: NEON trees, SpaceNet buildings, synthetic OBB vehicles (full schedules)"
    )
    extend_suite(
        "det",
        SuiteEntry(
            "det/neon-trees",
            ("det/yolov8n", "det/yolov8n-p2"),
            seeds=(0, 1, 2),
            train=full,  # the tasks' own image sizes: NEON 512, SpaceNet 448, OBB 256
        ),
        description=desc,
    )
    extend_suite(
        "det",
        SuiteEntry(
            "det/spacenet-buildings-boxes",
            ("det/yolov8n",),
            seeds=(0, 1, 2),
            train=full,
        ),
    )
    extend_suite(
        "det",
        SuiteEntry(
            "det/obb-synthetic-vehicles",
            ("det/yolov8n",),
            seeds=(0, 1, 2),
            train={**full, "epochs": 40},
        ),
    )
