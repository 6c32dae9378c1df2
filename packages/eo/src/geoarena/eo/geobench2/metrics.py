"""Metrics of the GEO-Bench-2 task kinds GeoArena lacked: pixel regression and instance
segmentation (COCO ``segm`` mAP), and the COCO box mAP of the detection sets, both through
pycocotools (``coco.coco_summary``).

The leaderboard reports BioMassters as ``1 − RMSE · BIOMASSTERS_STD`` (its
``utils/constants.py``), so that, like every other dataset, higher is better.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from geoarena.core.metrics import Metric

#: the leaderboard's constant for turning BioMassters RMSE into a higher-is-better score
BIOMASSTERS_STD = 0.2537951171398163


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


class PixelRegressionMetric(Metric):
    """RMSE and MAE over every valid pixel of every image (pixels pooled, not per image mean).

    Args:
        target_key: batch key of the ``(B, H, W)`` target.
        valid_key: optional batch key of a ``(B, H, W)`` boolean mask of pixels to score.
        score_scale: the ``gb2_score = 1 − rmse · score_scale`` conversion of the leaderboard.
    """

    def __init__(
        self,
        target_key: str = "mask",
        valid_key: str | None = "valid",
        score_scale: float = BIOMASSTERS_STD,
    ):
        self.target_key = target_key
        self.valid_key = valid_key
        self.score_scale = score_scale
        self.reset()

    def reset(self) -> None:
        self.sq = 0.0
        self.abs = 0.0
        self.n = 0

    def update(self, pred: Any, batch: dict[str, Any]) -> None:
        p = _np(pred).astype(np.float64)
        t = _np(batch[self.target_key]).astype(np.float64)
        if p.ndim == t.ndim + 1 and p.shape[1] == 1:
            p = p[:, 0]
        if p.shape != t.shape:
            raise ValueError(f"prediction shape {p.shape} != target shape {t.shape}")
        keep = np.isfinite(t)
        if self.valid_key and self.valid_key in batch:
            keep &= _np(batch[self.valid_key]).astype(bool)
        err = p[keep] - t[keep]
        self.sq += float(np.sum(err * err))
        self.abs += float(np.sum(np.abs(err)))
        self.n += int(keep.sum())

    def compute(self) -> dict[str, float]:
        if self.n == 0:
            return {"rmse": float("nan"), "mae": float("nan"), "gb2_score": float("nan")}
        rmse = float(np.sqrt(self.sq / self.n))
        return {
            "rmse": rmse,
            "mae": self.abs / self.n,
            "gb2_score": 1.0 - rmse * self.score_scale,
        }


class InstanceSegMetric(Metric):
    """COCO ``segm`` metrics (mAP@[.5:.95], AP50, AP75, mean recall) of instance masks.

    Predictions per image: ``{"masks": (N, H, W) bool/prob, "scores": (N,), "labels": (N,)}``;
    targets: ``batch["instance_masks"][i]`` ``(G, H, W)`` and ``batch["labels"][i]`` ``(G,)``.
    Evaluated by pycocotools' ``COCOeval(iouType="segm")`` (checked against the detection
    package's independent re-implementation in the tests). Keys are prefixed ``segm_``.
    """

    def __init__(self, num_classes: int, class_names: Sequence[str] = (), max_dets: int = 100):
        self.num_classes = num_classes
        self.class_names = tuple(class_names)
        self.max_dets = max_dets
        self.reset()

    def reset(self) -> None:
        self.gts: list[dict[str, Any]] = []
        self.dts: list[dict[str, Any]] = []

    def update(self, pred: Sequence[dict[str, Any]], batch: dict[str, Any]) -> None:
        masks, labels = batch["instance_masks"], batch["labels"]
        if len(pred) != len(masks):
            raise ValueError(f"{len(pred)} predictions for a batch of {len(masks)} images")
        for i, p in enumerate(pred):
            self.gts.append({"masks": _np(masks[i]), "labels": _np(labels[i])})
            self.dts.append(
                {"masks": _np(p["masks"]), "scores": _np(p["scores"]), "labels": _np(p["labels"])}
            )

    def compute(self) -> dict[str, float]:
        from geoarena.eo.geobench2.coco import coco_summary

        res = coco_summary(self.gts, self.dts, self.num_classes, "segm", self.max_dets)
        return {f"segm_{k}": v for k, v in res.items()}


class BoxDetectionMetric(Metric):
    """COCO ``bbox`` metrics (``map``, ``ap50``, ``ap75``, ``mar``) of xyxy boxes per image:
    predictions ``{"boxes", "scores", "labels"}``, targets ``batch["boxes"]``/``batch["labels"]``."""

    def __init__(self, num_classes: int, class_names: Sequence[str] = (), max_dets: int = 100):
        self.num_classes = num_classes
        self.class_names = tuple(class_names)
        self.max_dets = max_dets
        self.reset()

    def reset(self) -> None:
        self.gts: list[dict[str, Any]] = []
        self.dts: list[dict[str, Any]] = []

    def update(self, pred: Sequence[dict[str, Any]], batch: dict[str, Any]) -> None:
        if len(pred) != len(batch["boxes"]):
            raise ValueError(f"{len(pred)} predictions for a batch of {len(batch['boxes'])} images")
        for i, p in enumerate(pred):
            self.gts.append({"boxes": _np(batch["boxes"][i]), "labels": _np(batch["labels"][i])})
            self.dts.append({k: _np(p[k]) for k in ("boxes", "scores", "labels")})

    def compute(self) -> dict[str, float]:
        from geoarena.eo.geobench2.coco import coco_summary

        return coco_summary(self.gts, self.dts, self.num_classes, "bbox", self.max_dets)
