"""EO entries of the default (embedded, CPU, ≤ 5 min for all EO cells) suite.

Short schedules only; full schedules belong to named suites (``geobench-v1``).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

#: (task, models, TrainConfig overrides) of the default suite; every task has one deep backbone
#: and one classical baseline. Budget: all EO cells ≤ 5 min on 2 idle cores (SpaceNet: 68 train
#: chips × 5 epochs; NEON: 10 steps × 32 chips × 2 epochs, 333 val chips per epoch).
DEFAULT_ENTRIES = (
    (
        "eo/spacenet-atlanta-buildings",
        ("eo/resnet18", "eo/rf-pixels"),
        {"epochs": 5, "batch_size": 8, "lr": 2e-3, "early_stop_patience": 3},
    ),
    (
        "eo/neon-treecover-cls",
        # prithvi-tiny: the GFM-style (Prithvi-EO-2.0 architecture, tiny width) backbone
        ("eo/resnet18", "eo/prithvi-tiny", "eo/rf-chip-stats"),
        {
            "epochs": 2,
            "batch_size": 32,
            "lr": 1e-3,
            "early_stop_patience": 2,
            "max_steps_per_epoch": 10,
        },
    ),
)


def register() -> None:
    """Append the EO entries to the ``default`` suite."""
    from geoarena.core.suite import SuiteEntry, extend_suite

    for task, models, train in DEFAULT_ENTRIES:
        extend_suite(
            "default",
            SuiteEntry(
                task=task,
                models=models,
                protocols=("finetune",),
                seeds=(0, 1),
                train=train,
                quick_train=train,
            ),
        )
