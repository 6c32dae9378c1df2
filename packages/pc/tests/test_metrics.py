"""mIoU / per-class IoU / OA of point labels via the core confusion-matrix metric vs sklearn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix, jaccard_score

from geoarena.pc.tasks import TILES, make_task


def test_task_metric_matches_sklearn_and_skips_ignored_points():
    task = make_task(TILES["nebraska-asprs"], 0)
    rng = np.random.default_rng(0)
    target = rng.integers(-1, 3, (2, 500))
    pred = np.where(rng.random((2, 500)) < 0.7, np.clip(target, 0, 2), rng.integers(0, 3, (2, 500)))
    metric = task.metrics()
    for b in range(2):
        metric.update(
            torch.from_numpy(pred[b : b + 1]), {"point_labels": torch.from_numpy(target[b : b + 1])}
        )
    out = metric.compute()
    keep = target.reshape(-1) >= 0
    t, p = target.reshape(-1)[keep], pred.reshape(-1)[keep]
    np.testing.assert_array_equal(
        metric.confusion_matrix(), confusion_matrix(t, p, labels=[0, 1, 2])
    )
    assert out["overall_accuracy"] == pytest.approx((t == p).mean())
    iou = jaccard_score(t, p, average=None, labels=[0, 1, 2])
    assert out["miou"] == pytest.approx(iou.mean())
    assert out["iou/building"] == pytest.approx(iou[2])
    assert task.kind == "pc_seg" and task.class_names == ("ground", "vegetation", "building")
