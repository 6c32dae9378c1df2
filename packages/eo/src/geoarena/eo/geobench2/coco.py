"""COCO mAP of the GEO-Bench-2 detection (``bbox``) and instance segmentation (``segm``) tasks,
computed by pycocotools' ``COCOeval`` — the evaluator the leaderboard's numbers come from.

Images and annotations are built in memory from the accumulated predictions and targets;
the detection package keeps an independent re-implementation (``geoarena.det.coco_metric``)
that the tests check against this one.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

IouType = Literal["bbox", "segm"]


def _xywh(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1)


def coco_summary(
    gts: Sequence[dict[str, Any]],
    dts: Sequence[dict[str, Any]],
    num_classes: int,
    iou_type: IouType,
    max_dets: int = 100,
) -> dict[str, float]:
    """``map``, ``ap50``, ``ap75``, ``mar`` (at ``max_dets``) over all images.

    ``gts[i]``: ``labels`` (G,) and ``boxes`` (G, 4) xyxy for ``bbox`` or ``masks`` (G, H, W)
    for ``segm``; ``dts[i]``: the same plus ``scores`` (N,). -1 (nothing to score) becomes 0.
    """
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, anns, results = [], [], []
    for i, (gt, dt) in enumerate(zip(gts, dts, strict=True)):
        shape = np.asarray(gt["masks"]).shape[-2:] if iou_type == "segm" else (1, 1)
        images.append({"id": i, "height": int(shape[0]), "width": int(shape[1])})
        for item, out, is_gt in ((gt, anns, True), (dt, results, False)):
            labels = np.asarray(item["labels"]).reshape(-1)
            if iou_type == "segm":
                masks = np.asarray(item["masks"]).reshape(len(labels), *shape) >= 0.5
                rles = mask_utils.encode(
                    np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8))
                )
                geoms = [{"segmentation": r, "area": float(mask_utils.area(r))} for r in rles]
                for g, r in zip(geoms, rles, strict=True):
                    r["counts"] = r["counts"].decode()
                    g["bbox"] = mask_utils.toBbox(r).tolist()
            else:
                xywh = _xywh(item["boxes"])
                geoms = [{"bbox": b.tolist(), "area": float(b[2] * b[3])} for b in xywh]
            scores = None if is_gt else np.asarray(item["scores"]).reshape(-1)
            for j, (lab, geom) in enumerate(zip(labels, geoms, strict=True)):
                rec = {"image_id": i, "category_id": int(lab) + 1, **geom}
                if is_gt:
                    rec.update(id=len(out) + 1, iscrowd=0)
                else:
                    rec["score"] = float(scores[j])
                out.append(rec)
    coco = COCO()
    coco.dataset = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": k + 1} for k in range(num_classes)],
    }
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco.createIndex()
        if not results or not anns:
            return {"map": 0.0, "ap50": 0.0, "ap75": 0.0, "mar": 0.0}
        ev = COCOeval(coco, coco.loadRes(results), iouType=iou_type)
        ev.params.maxDets = [1, 10, max_dets]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    s = ev.stats
    return {k: max(float(s[i]), 0.0) for k, i in (("map", 0), ("ap50", 1), ("ap75", 2), ("mar", 8))}
