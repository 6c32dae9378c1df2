"""Suite entries of the detection package: a short "default" share and the full "det" suite."""

from __future__ import annotations


def register_suites() -> None:
    from geoarena.core.suite import SuiteEntry, extend_suite

    # default suite: ≤ 4 min on 2 CPU cores for the whole det share (2 tasks × yolov8n × 2 seeds);
    # a smoke schedule — 2 short epochs of 4 steps — that exercises the full train/val/test/log path
    short = {
        "epochs": 2,
        "batch_size": 16,
        "max_steps_per_epoch": 4,
        "lr": 2e-3,
        "early_stop_patience": 0,
        "imgsz": 256,
        "warmup_epochs": 0,
    }
    extend_suite(
        "default",
        SuiteEntry(
            "det/neon-trees", ("det/yolov8n",), seeds=(0, 1), train=short, quick_train={"epochs": 1}
        ),
    )
    extend_suite(
        "default",
        SuiteEntry(
            "det/obb-synthetic-vehicles",
            ("det/yolov8n",),
            seeds=(0, 1),
            train=short,
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
            train={**full, "imgsz": 512},
        ),
        description=desc,
    )
    extend_suite(
        "det",
        SuiteEntry(
            "det/spacenet-buildings-boxes",
            ("det/yolov8n",),
            seeds=(0, 1, 2),
            train={**full, "imgsz": 448},
        ),
    )
    extend_suite(
        "det",
        SuiteEntry(
            "det/obb-synthetic-vehicles",
            ("det/yolov8n",),
            seeds=(0, 1, 2),
            train={**full, "epochs": 40, "imgsz": 256},
        ),
    )
