"""COCO detection metrics (mAP@[.5:.95], AP50, AP75, per-class AP and recall) for HBB and OBB.

A re-implementation of ``pycocotools.cocoeval.COCOeval`` (``iouType="bbox"``, area range
``all``) that keeps its exact semantics — score sort with a stable merge sort, greedy matching
per IoU threshold with ties going to the last ground truth, crowd regions, 101-point
interpolated precision — so that numbers equal pycocotools' to floating-point precision (the
test suite checks this on randomized cases). Unlike pycocotools it also takes oriented boxes,
with polygon IoU computed by shapely.

Predictions and targets are per image:

* prediction: ``{"boxes": (N, 4) xyxy | (N, 4, 2) corners, "scores": (N,), "labels": (N,)}``
* target (batch): ``batch["boxes"][i]``, ``batch["labels"][i]`` and optionally
  ``batch["iscrowd"][i]`` (regions whose matches are neither rewarded nor penalised).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from geoarena.core.metrics import Metric
from geoarena.det.boxes import as_hbb, as_poly, poly_area

#: COCO's IoU thresholds, built exactly as pycocotools builds them (so 0.75 compares equal).
IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
#: COCO's 101 recall points.
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)

BoxType = Literal["hbb", "obb", "mask"]


def iou_hbb(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU of ``(D, 4)`` xyxy detections against ``(G, 4)`` ground truth, ``(D, G)``.

    Crowd ground truth uses the detection's area as the union, like COCO.
    """
    if len(dt) == 0 or len(gt) == 0:
        return np.zeros((len(dt), len(gt)))
    # pycocotools works on x, y, w, h: follow its arithmetic so rounding matches.
    dx, dy, dw, dh = dt[:, 0:1], dt[:, 1:2], dt[:, 2:3] - dt[:, 0:1], dt[:, 3:4] - dt[:, 1:2]
    gx, gy, gw, gh = gt[:, 0], gt[:, 1], gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    w = np.minimum(dx + dw, gx + gw) - np.maximum(dx, gx)
    h = np.minimum(dy + dh, gy + gh) - np.maximum(dy, gy)
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    da, ga = dw * dh, gw * gh
    union = np.where(crowd[None, :], da, da + ga - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def iou_mask(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU of ``(D, H, W)`` binary masks against ``(G, H, W)`` ones (COCO ``segm``).

    Pixel counts, as pycocotools' RLE IoU computes them; crowd ground truth uses the
    detection's area as the union.
    """
    if len(dt) == 0 or len(gt) == 0:
        return np.zeros((len(dt), len(gt)))
    d = dt.reshape(len(dt), -1).astype(np.float64)
    g = gt.reshape(len(gt), -1).astype(np.float64)
    inter = d @ g.T
    da, ga = d.sum(1)[:, None], g.sum(1)[None, :]
    union = np.where(crowd[None, :], da, da + ga - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _as_masks(x: Any) -> np.ndarray:
    arr = np.asarray(_np(x))
    if arr.size == 0:
        return np.zeros((0, 1, 1), dtype=bool)
    if arr.ndim != 3:
        raise ValueError(f"instance masks must be (N, H, W), got shape {arr.shape}")
    return arr > 0.5 if arr.dtype.kind == "f" else arr.astype(bool)


def iou_obb(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """Rotated IoU of ``(D, 4, 2)`` against ``(G, 4, 2)`` quadrilaterals via shapely."""
    import shapely

    if len(dt) == 0 or len(gt) == 0:
        return np.zeros((len(dt), len(gt)))
    dp = shapely.make_valid(shapely.polygons(dt))
    gp = shapely.make_valid(shapely.polygons(gt))
    inter = shapely.area(shapely.intersection(dp[:, None], gp[None, :]))
    da, ga = poly_area(dt)[:, None], poly_area(gt)[None, :]
    union = np.where(crowd[None, :], da, da + ga - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


_IOU = {"hbb": iou_hbb, "obb": iou_obb, "mask": iou_mask}


@dataclass
class _ImageEval:
    scores: np.ndarray  # (D,) sorted descending, truncated to max_dets
    matched: np.ndarray  # (T, D) bool
    det_ignored: np.ndarray  # (T, D) bool
    gt_ignored: np.ndarray  # (G,) bool


def _evaluate_image(
    dt_boxes: np.ndarray,
    dt_scores: np.ndarray,
    gt_boxes: np.ndarray,
    gt_crowd: np.ndarray,
    box_type: BoxType,
    max_dets: int,
) -> _ImageEval | None:
    if len(dt_boxes) == 0 and len(gt_boxes) == 0:
        return None
    # ground truth: non-ignored first (stable), detections: by score (stable), truncated
    gorder = np.argsort(gt_crowd.astype(np.int64), kind="mergesort")
    gt_boxes, gt_crowd = gt_boxes[gorder], gt_crowd[gorder]
    dorder = np.argsort(-dt_scores, kind="mergesort")[:max_dets]
    dt_boxes, dt_scores = dt_boxes[dorder], dt_scores[dorder]
    ious = _IOU[box_type](dt_boxes, gt_boxes, gt_crowd)
    n_t, n_d, n_g = len(IOU_THRESHOLDS), len(dt_boxes), len(gt_boxes)
    matched = np.zeros((n_t, n_d), dtype=bool)
    det_ignored = np.zeros((n_t, n_d), dtype=bool)
    if n_g:
        gidx = np.arange(n_g)
        for ti, t in enumerate(IOU_THRESHOLDS):
            taken = np.zeros(n_g, dtype=bool)
            thr = min(t, 1 - 1e-10)
            for di in range(n_d):
                # candidates: free (or crowd) gts with IoU ≥ threshold; the best wins, ties go to
                # the last one; a crowd gt is only used when no regular gt qualifies (gts are
                # sorted regular-first, and COCO stops scanning once it holds a regular match).
                ok = (~taken | gt_crowd) & (ious[di] >= thr)
                if not ok.any():
                    continue
                regular = ok & ~gt_crowd
                pool = regular if regular.any() else ok
                best = ious[di][pool].max()
                m = gidx[pool & (ious[di] == best)][-1]
                matched[ti, di] = True
                det_ignored[ti, di] = gt_crowd[m]
                taken[m] = True
    return _ImageEval(dt_scores, matched, det_ignored, gt_crowd.copy())


@dataclass
class CocoResult:
    """Raw accumulation arrays, shaped like pycocotools' (area range ``all``, one max_dets)."""

    precision: np.ndarray  # (T, R, K), -1 where a class has no ground truth
    recall: np.ndarray  # (T, K)
    class_names: tuple[str, ...] = field(default_factory=tuple)

    def ap(self, iou: float | None = None, k: int | slice = slice(None)) -> float:
        p = self.precision if iou is None else self.precision[np.where(iou == IOU_THRESHOLDS)[0]]
        p = p[:, :, k]
        p = p[p > -1]
        return float(p.mean()) if p.size else -1.0

    def mean_recall(self, k: int | slice = slice(None)) -> float:
        r = self.recall[:, k]
        r = r[r > -1]
        return float(r.mean()) if r.size else -1.0

    def summary(self) -> dict[str, float]:
        """``map``, ``ap50``, ``ap75``, ``mar``, ``ap/<class>``, ``ap50/<class>``, ``recall/<class>``.

        Classes without ground truth are left out of the per-class keys (COCO excludes them
        from the mean too). A value of -1 (no ground truth at all) is reported as 0.
        """
        out = {
            "map": max(self.ap(), 0.0),
            "ap50": max(self.ap(0.5), 0.0),
            "ap75": max(self.ap(0.75), 0.0),
            "mar": max(self.mean_recall(), 0.0),
        }
        for k, name in enumerate(self.class_names):
            if (self.recall[:, k] > -1).any():
                out[f"ap/{name}"] = self.ap(k=k)
                out[f"ap50/{name}"] = self.ap(0.5, k=k)
                out[f"recall/{name}"] = self.mean_recall(k=k)
        return out


def coco_evaluate(
    gts: Sequence[dict[str, Any]],
    dts: Sequence[dict[str, Any]],
    num_classes: int,
    box_type: BoxType = "hbb",
    max_dets: int = 100,
    class_names: Sequence[str] = (),
) -> CocoResult:
    """COCO evaluation of per-image detections ``dts`` against targets ``gts`` (same order).

    Each ``gts[i]`` has ``boxes``, ``labels`` and optional ``iscrowd``; each ``dts[i]`` has
    ``boxes``, ``scores`` and ``labels``. Labels are class indices ``0..num_classes-1``.
    """
    if len(gts) != len(dts):
        raise ValueError(f"{len(dts)} prediction sets for {len(gts)} images")
    as_box = {"hbb": as_hbb, "obb": as_poly, "mask": _as_masks}[box_type]
    n_t, n_r = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS)
    precision = -np.ones((n_t, n_r, num_classes))
    recall = -np.ones((n_t, num_classes))
    per_class: list[list[_ImageEval]] = [[] for _ in range(num_classes)]
    for gt, dt in zip(gts, dts):
        gb, gl = as_box(gt["boxes"]), np.asarray(_np(gt["labels"]), dtype=np.int64).reshape(-1)
        gc = np.asarray(_np(gt.get("iscrowd", np.zeros(len(gl)))), dtype=bool).reshape(-1)
        db, dl = as_box(dt["boxes"]), np.asarray(_np(dt["labels"]), dtype=np.int64).reshape(-1)
        ds = np.asarray(_np(dt["scores"]), dtype=np.float64).reshape(-1)
        if not (len(db) == len(dl) == len(ds)):
            raise ValueError(f"prediction has {len(db)} boxes, {len(ds)} scores, {len(dl)} labels")
        for k in np.union1d(np.unique(gl), np.unique(dl)):
            if not 0 <= k < num_classes:
                raise ValueError(f"class index {k} outside 0..{num_classes - 1}")
            gm, dm = gl == k, dl == k
            ev = _evaluate_image(db[dm], ds[dm], gb[gm], gc[gm], box_type, max_dets)
            if ev is not None:
                per_class[k].append(ev)
    for k, evs in enumerate(per_class):
        if not evs:
            continue
        gt_ignored = np.concatenate([e.gt_ignored for e in evs])
        npig = int(np.count_nonzero(~gt_ignored))
        if npig == 0:
            continue
        scores = np.concatenate([e.scores for e in evs])
        order = np.argsort(-scores, kind="mergesort")
        matched = np.concatenate([e.matched for e in evs], axis=1)[:, order]
        ignored = np.concatenate([e.det_ignored for e in evs], axis=1)[:, order]
        tp = np.cumsum(matched & ~ignored, axis=1).astype(float)
        fp = np.cumsum(~matched & ~ignored, axis=1).astype(float)
        for t in range(n_t):
            nd = tp.shape[1]
            rc = tp[t] / npig
            pr = tp[t] / (fp[t] + tp[t] + np.spacing(1))
            recall[t, k] = rc[-1] if nd else 0.0
            # precision envelope: make it monotonically decreasing from the right
            pr = np.maximum.accumulate(pr[::-1])[::-1] if nd else pr
            idx = np.searchsorted(rc, RECALL_THRESHOLDS, side="left")
            q = np.zeros(n_r)
            valid = idx < nd
            q[valid] = pr[idx[valid]]
            precision[t, :, k] = q
    names = tuple(class_names) or tuple(str(i) for i in range(num_classes))
    return CocoResult(precision, recall, names)


def _np(x: Any) -> Any:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x


class DetectionMetric(Metric):
    """COCO metrics as a harness ``Metric``: ``update(pred, batch)`` then ``compute()``.

    Args:
        num_classes: number of classes; labels are ``0..num_classes-1``.
        class_names: names for the per-class keys.
        box_type: ``hbb`` (xyxy boxes, COCO-exact) or ``obb`` (corner quadrilaterals).
        max_dets: detections kept per image and class (COCO: 100; dense scenes need more).
    """

    def __init__(
        self,
        num_classes: int,
        class_names: Sequence[str] = (),
        box_type: BoxType = "hbb",
        max_dets: int = 100,
    ):
        self.num_classes = num_classes
        self.class_names = tuple(class_names) or tuple(str(i) for i in range(num_classes))
        self.box_type = box_type
        self.max_dets = max_dets
        self.reset()

    def reset(self) -> None:
        self.gts: list[dict[str, Any]] = []
        self.dts: list[dict[str, Any]] = []
        self._result: CocoResult | None = None

    def update(self, pred: Sequence[dict[str, Any]], batch: dict[str, Any]) -> None:
        n = len(batch["boxes"])
        if len(pred) != n:
            raise ValueError(f"{len(pred)} predictions for a batch of {n} images")
        crowd = batch.get("iscrowd")
        for i in range(n):
            gt = {"boxes": _np(batch["boxes"][i]), "labels": _np(batch["labels"][i])}
            if crowd is not None:
                gt["iscrowd"] = _np(crowd[i])
            self.gts.append(gt)
            self.dts.append({k: _np(pred[i][k]) for k in ("boxes", "scores", "labels")})
        self._result = None

    def result(self) -> CocoResult:
        if self._result is None:
            self._result = coco_evaluate(
                self.gts, self.dts, self.num_classes, self.box_type, self.max_dets, self.class_names
            )
        return self._result

    def compute(self) -> dict[str, float]:
        return self.result().summary()

    def pr_curve(self, iou: float = 0.5) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per class: (recall points, interpolated precision) at IoU ``iou``, for plots."""
        r = self.result()
        t = int(np.where(iou == IOU_THRESHOLDS)[0][0])
        return {
            name: (RECALL_THRESHOLDS.copy(), r.precision[t, :, k])
            for k, name in enumerate(self.class_names)
            if r.precision[t, 0, k] > -1
        }

    def per_sample_scores(self) -> np.ndarray:
        """AP50 of each image on its own (for bootstrap over samples); NaN without targets."""
        out = []
        for gt, dt in zip(self.gts, self.dts):
            r = coco_evaluate([gt], [dt], self.num_classes, self.box_type, self.max_dets)
            out.append(r.ap(0.5) if r.ap(0.5) > -1 else np.nan)
        return np.asarray(out)
