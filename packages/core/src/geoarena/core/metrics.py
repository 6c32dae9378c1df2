"""Metrics: ``update(pred, batch)`` then ``compute() -> {"miou": …}``.

The confusion-matrix metrics here serve every classification-like task (scene classification,
semantic segmentation of pixels or points). Modality packages add their own (COCO mAP, geocoding
accuracy) behind the same surface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Metric(ABC):
    """Accumulates predictions batch by batch; ``compute`` returns plain floats keyed by name."""

    @abstractmethod
    def reset(self) -> None: ...

    @abstractmethod
    def update(self, pred: Any, batch: dict[str, Any]) -> None: ...

    @abstractmethod
    def compute(self) -> dict[str, float]: ...

    def confusion_matrix(self) -> np.ndarray | None:
        """The confusion matrix (rows = truth) when the metric has one, for plots."""
        return None

    def per_sample_scores(self) -> np.ndarray | None:
        """Optional per-sample scores of the primary metric (for bootstrap over samples)."""
        return None


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if x.is_floating_point() and x.element_size() < 4:  # autocast's bf16 has no numpy type
            x = x.float()
        x = x.numpy()
    return np.asarray(x)


def to_labels(pred: Any, class_axis: int = 1) -> np.ndarray:
    """Logits/probabilities (``B, C, …``) → class indices; integer labels pass through."""
    arr = _to_numpy(pred)
    if arr.dtype.kind == "f" and arr.ndim >= 2:
        return arr.argmax(axis=class_axis)
    return arr.astype(np.int64)


class ConfusionMatrixMetric(Metric):
    """Overall accuracy, mean IoU, macro F1 and per-class IoU from one confusion matrix.

    Args:
        num_classes: number of classes.
        target_key: batch key with integer targets (``label`` for scenes, ``mask`` for pixels,
            ``point_labels`` for points).
        ignore_index: target value excluded from every figure (e.g. 255 for unlabelled pixels).
        class_names: names for per-class keys (``iou/<name>``).
        class_axis: axis of the class dimension in float predictions.
        present_only: average IoU/F1 over classes present in target or prediction only
            (torchmetrics' default behaviour for absent classes is to count them as 0).
    """

    def __init__(
        self,
        num_classes: int,
        target_key: str = "label",
        ignore_index: int | None = None,
        class_names: tuple[str, ...] = (),
        class_axis: int = 1,
        present_only: bool = True,
    ):
        self.num_classes = num_classes
        self.target_key = target_key
        self.ignore_index = ignore_index
        self.class_names = tuple(class_names) or tuple(str(i) for i in range(num_classes))
        self.class_axis = class_axis
        self.present_only = present_only
        self.reset()

    def reset(self) -> None:
        self.cm = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)

    def update(self, pred: Any, batch: dict[str, Any]) -> None:
        p = to_labels(pred, self.class_axis).reshape(-1)
        t = _to_numpy(batch[self.target_key]).astype(np.int64).reshape(-1)
        if p.shape != t.shape:
            raise ValueError(f"prediction has {p.size} values, target {t.size}")
        bad = (p < 0) | (p >= self.num_classes)
        if bad.any():
            raise ValueError(
                f"predicted class indices must be in [0, {self.num_classes}); got "
                f"{sorted(set(p[bad].tolist()))[:5]} ({int(bad.sum())} values)"
            )
        keep = (t >= 0) & (t < self.num_classes)
        if self.ignore_index is not None:
            keep &= t != self.ignore_index
        p, t = p[keep], t[keep]
        self.cm += np.bincount(t * self.num_classes + p, minlength=self.num_classes**2).reshape(
            self.num_classes, self.num_classes
        )

    def compute(self) -> dict[str, float]:
        cm = self.cm.astype(np.float64)
        tp = np.diag(cm)
        support = cm.sum(axis=1)
        predicted = cm.sum(axis=0)
        union = support + predicted - tp
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(union > 0, tp / union, np.nan)
            prec = np.where(predicted > 0, tp / predicted, 0.0)
            rec = np.where(support > 0, tp / support, 0.0)
            f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
        present = union > 0 if self.present_only else np.ones_like(union, dtype=bool)
        total = cm.sum()
        if total == 0:  # every target ignored: no evidence, not a score of 0
            nan = float("nan")
            return {"overall_accuracy": nan, "miou": nan, "f1_macro": nan, "balanced_accuracy": nan}
        out = {
            "overall_accuracy": float(tp.sum() / total),
            "miou": float(np.nanmean(np.where(present, np.nan_to_num(iou), np.nan)))
            if present.any()
            else 0.0,
            "f1_macro": float(f1[present].mean()) if present.any() else 0.0,
            "balanced_accuracy": float(rec[support > 0].mean()) if (support > 0).any() else 0.0,
        }
        for name, v in zip(self.class_names, iou):
            if not np.isnan(v):
                out[f"iou/{name}"] = float(v)
        return out

    def confusion_matrix(self) -> np.ndarray:
        return self.cm.copy()


class MultilabelF1(Metric):
    """Micro and macro F1 for multi-label scene classification (threshold 0.5 on sigmoid)."""

    def __init__(self, num_classes: int, target_key: str = "label", threshold: float = 0.5):
        self.num_classes = num_classes
        self.target_key = target_key
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        self.tp = np.zeros(self.num_classes)
        self.fp = np.zeros(self.num_classes)
        self.fn = np.zeros(self.num_classes)

    def update(self, pred: Any, batch: dict[str, Any]) -> None:
        p = _to_numpy(pred)
        if p.dtype.kind == "f" and (p.min() < 0 or p.max() > 1):
            p = 1 / (1 + np.exp(-p))
        p = p >= self.threshold
        t = _to_numpy(batch[self.target_key]).astype(bool)
        self.tp += (p & t).sum(0)
        self.fp += (p & ~t).sum(0)
        self.fn += (~p & t).sum(0)

    def compute(self) -> dict[str, float]:
        tp, fp, fn = self.tp.sum(), self.fp.sum(), self.fn.sum()
        if tp + fp + fn == 0:  # no positive label and no positive prediction anywhere
            return {"f1_micro": float("nan"), "f1_macro": float("nan")}
        micro = 2 * tp / (2 * tp + fp + fn)
        denom = 2 * self.tp + self.fp + self.fn
        per = np.where(denom > 0, 2 * self.tp / np.maximum(denom, 1), np.nan)
        return {
            "f1_micro": float(micro),
            "f1_macro": float(np.nanmean(per)) if np.isfinite(per).any() else 0.0,
        }
