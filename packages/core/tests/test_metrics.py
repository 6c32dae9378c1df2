"""Edge cases of the confusion-matrix and multi-label metrics, checked against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, jaccard_score

from geoarena.core.metrics import ConfusionMatrixMetric, MultilabelF1


def test_integer_predictions_outside_the_classes_are_an_error():
    m = ConfusionMatrixMetric(3, target_key="mask", ignore_index=255)
    target = {"mask": np.array([[0, 1], [2, 255]])}
    for bad in (3, -1, 255):
        pred = np.array([[0, 1], [bad, 0]])
        with pytest.raises(ValueError, match=r"must be in \[0, 3\).*" + str(bad)):
            m.update(pred, target)
    assert m.cm.sum() == 0  # nothing half-counted


def test_every_pixel_ignored_gives_nan_not_zero():
    m = ConfusionMatrixMetric(3, target_key="mask", ignore_index=255)
    m.update(np.zeros((2, 2), dtype=np.int64), {"mask": np.full((2, 2), 255)})
    out = m.compute()
    assert all(math.isnan(out[k]) for k in ("overall_accuracy", "miou", "f1_macro"))


def test_equal_to_sklearn_on_random_labels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        c = int(rng.integers(2, 6))
        t = rng.integers(0, c, 500)
        p = np.where(rng.random(500) < 0.6, t, rng.integers(0, c, 500))
        m = ConfusionMatrixMetric(c, present_only=True)
        m.update(p, {"label": t})
        out = m.compute()
        labels = sorted(set(t) | set(p))
        assert out["overall_accuracy"] == pytest.approx(accuracy_score(t, p), abs=1e-12)
        assert out["miou"] == pytest.approx(
            jaccard_score(t, p, labels=labels, average="macro"), abs=1e-12
        )
        assert out["f1_macro"] == pytest.approx(
            f1_score(t, p, labels=labels, average="macro"), abs=1e-12
        )


def test_multilabel_without_positives_is_nan():
    m = MultilabelF1(4)
    m.update(np.zeros((3, 4)), {"label": np.zeros((3, 4))})
    assert math.isnan(m.compute()["f1_micro"])


def test_half_precision_predictions_are_scored_like_float32():
    # autocast's bf16 logits: ``.numpy()`` has no bfloat16 and raised TypeError
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    pred = torch.randint(0, 3, (6, 4, 4), generator=g)
    logits = torch.nn.functional.one_hot(pred, 3).permute(0, 3, 1, 2) * 4.0 - 2.0
    target = torch.randint(0, 3, (6, 4, 4), generator=g)
    results = []
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        m = ConfusionMatrixMetric(3, "mask")
        m.update(logits.to(dtype), {"mask": target})
        ml = MultilabelF1(3)
        ml.update(logits[:, :, 0, 0].to(dtype), {"label": logits[:, :, 0, 1] > 0})
        results.append((m.compute(), ml.compute()))
    assert results[1] == results[0] and results[2] == results[0]
