"""Every registered task with every compatible model family, on a tiny configuration, through
the harness's ``run()`` — the registry-wide contract run.

Pairs: each task × one model per compatible family (the family's smallest member: the members
of a family share one code path and differ in width/depth). Data: embedded tasks fetch their
pinned registry samples; tasks read by ``--data-root`` use the committed fixture generators
(GEO-Bench v1 in its real on-disk layout, GEO-Bench-2 tortilla files). A pair that does not
finish FINISHED fails the test with its error; the number of pairs run is printed at the end.
"""

from __future__ import annotations

import pytest

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.registry import TASKS
from geoarena.core.runner import run
from geoarena.core.tracking import NullTracker

TINY_TRAIN = TrainConfig(
    epochs=1, batch_size=2, max_steps_per_epoch=1, early_stop_patience=0, warmup_epochs=0
)
#: model kwargs that keep a pair to seconds on a CPU
TINY_KWARGS = {
    "eo/rf-pixels": {"n_estimators": 5, "cv_folds": 0, "max_pixels": 2000},
    "eo/lgbm-pixels": {"n_estimators": 5, "cv_folds": 0, "max_pixels": 2000},
    "eo/rf-chip-stats": {"n_estimators": 5, "cv_folds": 0},
    "eo/lgbm-chip-stats": {"n_estimators": 5, "cv_folds": 0},
    "pc/random-forest": {"n_estimators": 5},
    "pc/randla": {"widths": (8, 16, 32, 64)},
    "det/yolov8n": {"imgsz": 64},
}


RAN: list[tuple[str, str, str]] = []  # (task, model, status) — read by conftest's summary


@pytest.mark.slow
def test_pair_runs_through_the_harness(task_model_pair, data_root, tmp_path):
    task, model = task_model_pair
    needs_root = TASKS.get(task).needs_data_root
    cfg = RunConfig(
        task=task,
        model=model,
        train=TrainConfig(**vars(TINY_TRAIN)),
        model_kwargs=dict(TINY_KWARGS.get(model, {})),
        data_root=str(data_root) if needs_root else None,
        quick=True,
        device="cpu",
    )
    res = run(cfg, NullTracker(), artifacts=False)
    RAN.append((task, model, res.status))
    assert res.status == "FINISHED", f"{task} × {model}: {res.error}"
    assert res.test, f"{task} × {model}: no test metric"
