"""The ``geobench2`` suites: the 19 GEO-Bench-2 tasks under its protocol (data by --data-root).

Per (task, backbone): an Optuna search of 16 trials on validation through the sweep engine, then
5 seeds of the best configuration (``eo/hpo-*`` models, see ``hpo.py``); ``geobench2`` is the
full fine-tuning track, ``geobench2-frozen`` the frozen-encoder track. ``--quick`` shrinks the
search to 2 trials and the schedule to one short epoch (a laptop run on the fixtures).
"""

from __future__ import annotations

from geoarena.eo.geobench2.specs import SPECS
from geoarena.eo.geobench2.tasks import task_name

DENSE_MODELS = ("eo/hpo-resnet18", "eo/hpo-prithvi-tiny")
#: the same two encoders with R-CNN heads (the leaderboard's faster-rcnn / mask-rcnn decoders), so
#: that each backbone covers all 19 datasets (Core and Detection groups included)
RCNN_MODELS = ("eo/hpo-rcnn-resnet18", "eo/hpo-rcnn-prithvi-tiny")
SEEDS = (0, 1, 2, 3, 4)
#: schedule of every run (search trials and seeds); the leaderboard's early-stop patience is 10
TRAIN = {"epochs": 50, "batch_size": 16, "early_stop_patience": 10}
QUICK_TRAIN = {"epochs": 1, "batch_size": 4, "max_steps_per_epoch": 2, "early_stop_patience": 1}
TRACKS = {
    "geobench2": (
        "finetune",
        "GEO-Bench-2: 19 tasks, HPO (16 trials on val) then 5 seeds, full fine-tuning",
    ),
    "geobench2-frozen": ("frozen", "GEO-Bench-2: 19 tasks, HPO then 5 seeds, frozen encoders"),
}


def register() -> None:
    from geoarena.core.suite import SuiteEntry, extend_suite

    for suite, (protocol, desc) in TRACKS.items():
        for spec in SPECS.values():
            models = RCNN_MODELS if spec.kind in ("det", "instance_seg") else DENSE_MODELS
            extend_suite(
                suite,
                SuiteEntry(
                    task=task_name(spec.name),
                    models=models,
                    protocols=(protocol,),
                    seeds=SEEDS,
                    train=dict(TRAIN),
                    quick_train=dict(QUICK_TRAIN),
                ),
                description=desc,
                needs_data_root=True,
            )
