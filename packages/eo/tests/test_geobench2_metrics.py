"""GEO-Bench-2 metrics: instance-segmentation mAP against pycocotools, regression by hand."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_util
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from geoarena.eo.geobench2.metrics import (
    BIOMASSTERS_STD,
    InstanceSegMetric,
    PixelRegressionMetric,
)


def _blob(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random rectangle, sometimes with a hole — never empty."""
    m = np.zeros((h, w), dtype=bool)
    y0, x0 = rng.integers(0, h - 2), rng.integers(0, w - 2)
    y1, x1 = rng.integers(y0 + 2, h + 1), rng.integers(x0 + 2, w + 1)
    m[y0:y1, x0:x1] = True
    if rng.random() < 0.3 and (y1 - y0) > 3 and (x1 - x0) > 3:
        m[y0 + 1, x0 + 1] = False
    return m


def _random_case(rng: np.random.Generator):
    n_img, k = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = int(rng.integers(10, 24)), int(rng.integers(10, 24))
    gts, dts = [], []
    for _ in range(n_img):
        g = int(rng.integers(0, 5))
        gm = np.stack([_blob(rng, h, w) for _ in range(g)]) if g else np.zeros((0, h, w), bool)
        gl = rng.integers(0, k, g)
        dm, dl = [], []
        for j in range(g):  # detections near each ground truth, plus false positives
            if rng.random() < 0.8:
                m = gm[j].copy()
                m ^= rng.random((h, w)) < rng.uniform(0, 0.3)
                m[np.unravel_index(rng.integers(h * w), (h, w))] = True
                dm.append(m)
                dl.append(gl[j] if rng.random() < 0.85 else rng.integers(0, k))
        for _ in range(int(rng.integers(0, 3))):
            dm.append(_blob(rng, h, w))
            dl.append(rng.integers(0, k))
        dmask = np.stack(dm) if dm else np.zeros((0, h, w), bool)
        dts.append({"masks": dmask, "scores": rng.random(len(dm)), "labels": np.array(dl, int)})
        gts.append((gm, gl))
    return k, gts, dts


def _pycocotools_segm(k, gts, dts) -> tuple[float, float, float, float]:
    images, anns, results = [], [], []
    for i, ((gm, gl), dt) in enumerate(zip(gts, dts)):
        h, w = gm.shape[1:]
        images.append({"id": i, "height": h, "width": w})
        for m, lab in zip(gm, gl):
            rle = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i,
                    "category_id": int(lab),
                    "segmentation": rle,
                    "area": float(mask_util.area(rle)),
                    "bbox": mask_util.toBbox(rle).tolist(),
                    "iscrowd": 0,
                }
            )
        for m, s, lab in zip(dt["masks"], dt["scores"], dt["labels"]):
            rle = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
            results.append(
                {"image_id": i, "category_id": int(lab), "segmentation": rle, "score": float(s)}
            )
    coco = COCO()
    coco.dataset = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": c} for c in range(k)],
    }
    coco.createIndex()
    if not results:
        return (0.0, 0.0, 0.0, 0.0)
    ev = COCOeval(coco, coco.loadRes(results), iouType="segm")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    s = ev.stats
    return tuple(max(float(v), 0.0) for v in (s[0], s[1], s[2], s[8]))


def test_segm_map_equals_pycocotools_on_random_cases(capsys):
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(120):
        k, gts, dts = _random_case(rng)
        if not any(len(gl) for _, gl in gts):
            continue
        metric = InstanceSegMetric(k)
        metric.update(
            dts,
            {"instance_masks": [g for g, _ in gts], "labels": [lab for _, lab in gts]},
        )
        ours = metric.compute()
        ref = _pycocotools_segm(k, gts, dts)
        got = (ours["segm_map"], ours["segm_ap50"], ours["segm_ap75"], ours["segm_mar"])
        assert got == pytest.approx(ref, abs=1e-6)
        checked += 1
    capsys.readouterr()
    assert checked >= 100


def test_pixel_regression_equals_hand_computation():
    pred = np.array([[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 10.0]]])
    target = np.array([[[1.0, 1.0], [1.0, 1.0]], [[0.0, np.nan], [2.0, 4.0]]])
    m = PixelRegressionMetric(valid_key=None)
    m.update(pred[:1], {"mask": target[:1]})
    m.update(pred[1:], {"mask": target[1:]})
    # errors on the 7 finite pixels: 0, 1, 2, 3, 0, -2, 6
    errs = np.array([0, 1, 2, 3, 0, -2, 6], dtype=float)
    rmse = np.sqrt((errs**2).sum() / 7)  # sqrt(54 / 7)
    out = m.compute()
    assert out["rmse"] == pytest.approx(rmse, abs=1e-12)
    assert out["rmse"] == pytest.approx(2.7774602993176543, abs=1e-12)
    assert out["mae"] == pytest.approx(14 / 7, abs=1e-12)
    assert out["gb2_score"] == pytest.approx(1 - rmse * BIOMASSTERS_STD, abs=1e-12)


def test_pixel_regression_valid_mask_and_channel_axis():
    m = PixelRegressionMetric()
    pred = np.ones((1, 1, 2, 2))
    m.update(pred, {"mask": np.zeros((1, 2, 2)), "valid": np.array([[[1, 0], [0, 0]]])})
    assert m.compute()["rmse"] == 1.0 and m.n == 1


def test_segm_map_equals_the_detection_packages_independent_evaluator():
    """pycocotools (production path) against geoarena.det's own COCO re-implementation."""
    from geoarena.det.coco_metric import coco_evaluate

    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(60):
        k, gts, dts = _random_case(rng)
        if not any(len(gl) for _, gl in gts):
            continue
        metric = InstanceSegMetric(k)
        metric.update(
            dts, {"instance_masks": [g for g, _ in gts], "labels": [lab for _, lab in gts]}
        )
        ours = metric.compute()
        ref = coco_evaluate(
            [{"boxes": g, "labels": lab} for g, lab in gts],
            [{"boxes": d["masks"], "scores": d["scores"], "labels": d["labels"]} for d in dts],
            k,
            box_type="mask",
        ).summary()
        assert ours["segm_map"] == pytest.approx(ref["map"], abs=1e-6)
        assert ours["segm_ap50"] == pytest.approx(ref["ap50"], abs=1e-6)
        checked += 1
    assert checked >= 50
