"""Our COCO metric against pycocotools' COCOeval on randomized cases, and OBB behaviour."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from geoarena.det.boxes import hbb_to_poly, xywhr_to_poly
from geoarena.det.coco_metric import DetectionMetric, coco_evaluate


def _random_case(rng: np.random.Generator, n_images: int, n_classes: int):
    gts, dts = [], []
    for _ in range(n_images):
        g = int(rng.integers(0, 12))
        xy = rng.uniform(0, 200, (g, 2))
        wh = rng.uniform(2, 60, (g, 2))
        gb = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, n_classes, g)
        crowd = rng.random(g) < 0.1
        # detections: jittered copies of some ground truth plus random false positives
        keep = rng.random(g) < 0.8
        jit = gb[keep] + rng.normal(0, rng.uniform(0.5, 8), (int(keep.sum()), 4))
        jit[:, 2:] = np.maximum(jit[:, 2:], jit[:, :2] + 0.5)
        n_fp = int(rng.integers(0, 8))
        fxy = rng.uniform(0, 200, (n_fp, 2))
        fb = np.concatenate([fxy, fxy + rng.uniform(2, 60, (n_fp, 2))], 1)
        db = np.concatenate([jit, fb])
        dl = np.concatenate(
            [
                np.where(
                    rng.random(int(keep.sum())) < 0.9,
                    gl[keep],
                    rng.integers(0, n_classes, int(keep.sum())),
                ),
                rng.integers(0, n_classes, n_fp),
            ]
        )
        ds = rng.random(len(db))
        gts.append({"boxes": gb, "labels": gl, "iscrowd": crowd})
        dts.append({"boxes": db, "scores": ds, "labels": dl})
    return gts, dts


def _pycocotools(gts, dts, n_classes, max_dets):
    images, anns, res = [], [], []
    for i, (g, d) in enumerate(zip(gts, dts), start=1):
        images.append({"id": i, "width": 300, "height": 300})
        for b, lab, c in zip(g["boxes"], g["labels"], g["iscrowd"]):
            w, h = b[2] - b[0], b[3] - b[1]
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i,
                    "category_id": int(lab) + 1,
                    "bbox": [b[0], b[1], w, h],
                    "area": w * h,
                    "iscrowd": int(c),
                }
            )
        for b, lab, s in zip(d["boxes"], d["labels"], d["scores"]):
            res.append(
                {
                    "image_id": i,
                    "category_id": int(lab) + 1,
                    "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                    "score": float(s),
                }
            )
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {
            "images": images,
            "annotations": anns,
            "categories": [{"id": k + 1, "name": str(k)} for k in range(n_classes)],
        }
        gt.createIndex()
        dt = gt.loadRes(res) if res else COCO()
        ev = COCOeval(gt, dt, "bbox")
        ev.params.maxDets = [1, min(10, max_dets), max_dets]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def test_matches_pycocotools_on_120_randomized_prediction_sets():
    rng = np.random.default_rng(0)
    worst, compared = 0.0, 0
    for case in range(120):
        n_classes = int(rng.integers(1, 5))
        max_dets = [100, 5, 3][case % 3]
        gts, dts = _random_case(rng, int(rng.integers(1, 7)), n_classes)
        if not any(len(d["boxes"]) for d in dts) or not any((~g["iscrowd"]).any() for g in gts):
            continue
        ours = coco_evaluate(gts, dts, n_classes, max_dets=max_dets)
        ref = _pycocotools(gts, dts, n_classes, max_dets)
        ref_p = ref.eval["precision"][:, :, :, 0, -1]
        ref_r = ref.eval["recall"][:, :, 0, -1]
        np.testing.assert_allclose(ours.precision, ref_p, atol=1e-6)
        np.testing.assert_allclose(ours.recall, ref_r, atol=1e-6)
        # stats[0] is always read at maxDets=100 (a pycocotools quirk): recompute it otherwise
        ref_map = ref.stats[0] if max_dets == 100 else ref_p[ref_p > -1].mean()
        assert ours.ap() == pytest.approx(ref_map, abs=1e-6)
        assert ours.ap(0.5) == pytest.approx(ref.stats[1], abs=1e-6)
        assert ours.ap(0.75) == pytest.approx(ref.stats[2], abs=1e-6)
        assert ours.mean_recall() == pytest.approx(ref_r[ref_r > -1].mean(), abs=1e-6)
        worst = max(worst, abs(ours.ap() - ref_map))
        compared += 1
    assert compared >= 100 and worst < 1e-6


def test_metric_surface_and_perfect_predictions():
    m = DetectionMetric(2, class_names=("tree", "car"))
    boxes = np.array([[0, 0, 10, 10], [20, 20, 40, 30.0]])
    batch = {"boxes": [boxes], "labels": [np.array([0, 1])]}
    m.update([{"boxes": boxes, "scores": np.array([0.9, 0.8]), "labels": np.array([0, 1])}], batch)
    out = m.compute()
    assert out["map"] == pytest.approx(1.0)
    assert out["ap/tree"] == pytest.approx(1.0) and out["recall/car"] == pytest.approx(1.0)
    m.reset()
    m.update([{"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0)}], batch)
    out = m.compute()
    assert out["map"] == 0.0 and out["recall/tree"] == 0.0


def test_obb_metric_equals_hbb_metric_on_axis_aligned_boxes():
    rng = np.random.default_rng(3)
    gts, dts = _random_case(rng, 5, 2)
    hbb = coco_evaluate(gts, dts, 2)
    poly = lambda d: {**d, "boxes": hbb_to_poly(d["boxes"])}  # noqa: E731
    obb = coco_evaluate([poly(g) for g in gts], [poly(d) for d in dts], 2, box_type="obb")
    np.testing.assert_allclose(obb.precision, hbb.precision, atol=1e-9)


def test_obb_iou_is_rotation_aware():
    # a long thin box and the same box rotated by 90° overlap only in a square: IoU = 1/7
    gt = xywhr_to_poly(np.array([[50, 50, 40, 10, 0.3]]))
    rotated = xywhr_to_poly(np.array([[50, 50, 40, 10, 0.3 + np.pi / 2]]))
    r = coco_evaluate(
        [{"boxes": gt, "labels": [0]}],
        [{"boxes": rotated, "scores": [0.9], "labels": [0]}],
        1,
        box_type="obb",
    )
    assert r.ap(0.5) == 0.0
    same = coco_evaluate(
        [{"boxes": gt, "labels": [0]}],
        [{"boxes": gt + 0.5, "scores": [0.9], "labels": [0]}],
        1,
        box_type="obb",
    )
    assert same.ap(0.5) == pytest.approx(1.0)
