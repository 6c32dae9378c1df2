"""Slicer: SAHI's slice layout and merge rules, and window-by-window raster reading."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from sahi.postprocess.combine import GreedyNMMPostprocess, NMSPostprocess
from sahi.prediction import ObjectPrediction
from sahi.slicing import get_slice_bboxes

from geoarena.det.slicer import SliceConfig, SlicedDetector, merge_predictions, slice_windows


@pytest.mark.parametrize(
    ("h", "w", "s", "ov"),
    [(4096, 4096, 512, 0.2), (1000, 700, 256, 0.25), (300, 200, 512, 0.2), (1035, 1249, 320, 0.0)],
)
def test_slice_layout_equals_sahi(h, w, s, ov):
    assert [list(x) for x in slice_windows(h, w, s, s, ov, ov)] == get_slice_bboxes(
        h, w, s, s, False, ov, ov
    )


def _random_preds(rng, n=150):
    xy = rng.uniform(0, 300, (n, 2))
    wh = rng.uniform(5, 40, (n, 2))
    boxes = np.round(np.concatenate([xy, xy + wh], 1), 2)
    # clusters of near-duplicates, like detections of one object from overlapping slices
    dup = boxes[: n // 3] + rng.normal(0, 2, (n // 3, 4))
    boxes = np.concatenate([boxes, np.maximum(dup, 0)])
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
    return boxes, np.round(rng.random(len(boxes)), 4), rng.integers(0, 3, len(boxes))


def _sahi(post, boxes, scores, labels):
    ops = [
        ObjectPrediction(
            bbox=b.tolist(),
            score=float(s),
            category_id=int(c),
            category_name=str(c),
            shift_amount=[0, 0],
            full_shape=[400, 400],
        )
        for b, s, c in zip(boxes, scores, labels)
    ]
    out = post(ops)
    key = sorted(
        (tuple(np.round(o.bbox.to_xyxy(), 4)), round(o.score.value, 4), o.category.id) for o in out
    )
    return key


@pytest.mark.parametrize(
    ("merge", "metric", "agnostic"),
    [
        ("nms", "iou", False),
        ("nms", "ios", False),
        ("greedy_nmm", "ios", False),
        ("greedy_nmm", "iou", True),
    ],
)
def test_merge_matches_sahi_postprocess(merge, metric, agnostic):
    rng = np.random.default_rng(7)
    boxes, scores, labels = _random_preds(rng)
    cls = NMSPostprocess if merge == "nms" else GreedyNMMPostprocess
    ref = _sahi(
        cls(match_threshold=0.5, match_metric=metric.upper(), class_agnostic=agnostic),
        boxes,
        scores,
        labels,
    )
    ours = merge_predictions(boxes, scores, labels, merge, metric, 0.5, agnostic)
    got = sorted(
        (tuple(np.round(b, 4)), round(float(s), 4), int(c))
        for b, s, c in zip(ours["boxes"], ours["scores"], ours["labels"])
    )
    assert len(got) == len(ref)
    assert got == ref


def test_nms_keeps_highest_and_drops_duplicates():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60.0]])
    out = merge_predictions(boxes, np.array([0.5, 0.9, 0.7]), np.zeros(3, dtype=int))
    np.testing.assert_allclose(out["boxes"], [[1, 1, 11, 11], [50, 50, 60, 60]])
    np.testing.assert_allclose(out["scores"], [0.9, 0.7])


@pytest.fixture
def tiny_yolo(tmp_path_factory):
    """A randomly initialised yolov8n (no weights are downloaded) saved as a local .pt.

    Function-scoped: ultralytics' predict fuses Conv+BN in place, so a model shared with an
    earlier test is numerically a different network from a fresh one."""
    from geoarena.det.yolo_offline import ensure_offline

    folder = tmp_path_factory.mktemp("yolo")
    ensure_offline(folder / "cfg")
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO("yolov8n.yaml")
    # untrained class logits are all equal (bias init); spread them so scores are distinct
    with torch.no_grad():
        for p in model.model.model[-1].cv3.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model


def _write_scene(path, img):
    """An RGB uint8 image as a tiled UTM GeoTIFF (64 px blocks, so windows cross block edges)."""
    h, w = img.shape[:2]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=3,
        dtype="uint8",
        crs="EPSG:32617",
        transform=from_origin(0, h, 1, 1),
        tiled=True,
        blockxsize=64,
        blockysize=64,
    ) as ds:
        ds.write(img.transpose(2, 0, 1))
    return path


def test_raster_windows_equal_in_memory_slicing(tmp_path, tiny_yolo):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    path = _write_scene(tmp_path / "scene.tif", img)
    # a random network: keep everything above a tiny confidence so there is something to compare
    det = SlicedDetector(
        tiny_yolo,
        SliceConfig(slice_height=128, slice_width=128, batch_size=3, conf=1e-9, max_det=50),
    )
    det.predict_array(
        img
    )  # warm-up: oneDNN's first call may pick other kernels (last-bit differences)
    a = det.predict_raster(path)
    b = det.predict_array(img)
    assert len(a["scores"]) > 0
    np.testing.assert_allclose(a["boxes"], b["boxes"])
    assert (a["boxes"][:, 2] <= 300 + 1e-6).all() and (a["boxes"][:, 3] <= 200 + 1e-6).all()


def test_batched_slices_equal_ultralytics_predict_per_slice(request):
    """HBB and OBB. Runs the comparison in a fresh interpreter: after the rest of the suite has run in this
    process (other packages' imports change global torch/ultralytics state), ultralytics'
    predict on a random network ranks its near-tied boxes differently; alone it is exact."""
    import os
    import subprocess
    import sys

    if os.environ.get("GEOARENA_SLICER_ISOLATED") == "1":
        _compare_with_ultralytics(request.getfixturevalue("tiny_yolo"))
        _compare_obb_with_ultralytics(request.getfixturevalue("tiny_yolo_obb"))
        return
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{__file__}::{request.node.name}",
        ],
        env={**os.environ, "GEOARENA_SLICER_ISOLATED": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout


def _compare_with_ultralytics(tiny_yolo):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    det = SlicedDetector(
        tiny_yolo, SliceConfig(slice_height=128, slice_width=128, conf=1e-9, max_det=50)
    )
    det.predict_array(img)  # warm-up
    ours = det.predict_array(img)  # one slice: no merge, just our direct forward + NMS
    ref = tiny_yolo.predict(img[..., ::-1].copy(), imgsz=128, conf=1e-9, max_det=50, verbose=False)[
        0
    ].boxes
    # the strongest detections agree (a random network's long tail of near-tied scores may not)
    np.testing.assert_allclose(
        np.sort(ours["scores"])[::-1][:10], np.sort(ref.conf.numpy())[::-1][:10], atol=1e-5
    )
    np.testing.assert_allclose(
        ours["boxes"][np.argsort(-ours["scores"])][:10],
        ref.xyxy.numpy()[np.argsort(-ref.conf.numpy())][:10],
        atol=1e-3,
    )


# -- oriented boxes ------------------------------------------------------------------------------


def test_obb_merge_of_axis_aligned_quads_equals_hbb_merge():
    """Axis-aligned quadrilaterals must merge exactly like the xyxy boxes (checked against SAHI)."""
    from geoarena.det.boxes import hbb_to_poly

    rng = np.random.default_rng(3)
    boxes, scores, labels = _random_preds(rng)
    for metric in ("iou", "ios"):
        hbb = merge_predictions(boxes, scores, labels, "nms", metric, 0.5)
        obb = merge_predictions(hbb_to_poly(boxes), scores, labels, "nms", metric, 0.5)
        assert obb["boxes"].shape == (len(hbb["scores"]), 4, 2)
        np.testing.assert_allclose(obb["scores"], hbb["scores"])
        np.testing.assert_array_equal(obb["labels"], hbb["labels"])
        np.testing.assert_allclose(obb["boxes"].min(1), hbb["boxes"][:, :2])
        np.testing.assert_allclose(obb["boxes"].max(1), hbb["boxes"][:, 2:])


def test_obb_merge_uses_rotated_overlap():
    """Two crossing thin boxes: their axis-aligned envelopes overlap fully, the rotated boxes
    only in the middle (IoU ≈ 0.07), so both survive; a near-copy of the first is suppressed."""
    from shapely.geometry import Polygon

    from geoarena.det.boxes import xywhr_to_poly

    quads = xywhr_to_poly(
        np.array(
            [
                [50, 50, 100, 8, np.pi / 4],
                [50, 50, 100, 8, -np.pi / 4],
                [51, 50, 100, 8, np.pi / 4 + 0.01],
            ]
        )
    )
    a, b = Polygon(quads[0]), Polygon(quads[1])
    assert a.intersection(b).area / a.union(b).area < 0.1
    out = merge_predictions(quads, np.array([0.9, 0.8, 0.7]), np.zeros(3, dtype=int))
    np.testing.assert_allclose(out["scores"], [0.9, 0.8])
    np.testing.assert_allclose(out["boxes"], quads[:2])
    with pytest.raises(Exception, match="oriented boxes"):
        merge_predictions(quads, np.array([0.9, 0.8, 0.7]), np.zeros(3, dtype=int), "greedy_nmm")


@pytest.fixture
def tiny_yolo_obb():
    """A randomly initialised yolov8n-obb with widely spread class logits (no near-tied scores
    between neighbouring anchors; nothing is downloaded)."""
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO("yolov8n-obb.yaml", task="obb")
    with torch.no_grad():
        for p in model.model.model[-1].cv3.parameters():
            p.add_(torch.randn_like(p) * 1.0)
    return model


def test_obb_slicing_raster_equals_array_and_lands_in_raster_pixels(tmp_path, tiny_yolo_obb):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    path = _write_scene(tmp_path / "scene.tif", img)
    det = SlicedDetector(
        tiny_yolo_obb,
        SliceConfig(slice_height=128, slice_width=128, batch_size=4, conf=1e-9, max_det=30),
    )
    det.predict_array(img)  # warm-up (first-call kernels)
    a = det.predict_raster(path)
    b = det.predict_array(img)
    assert a["boxes"].ndim == 3 and a["boxes"].shape[1:] == (4, 2) and len(a["scores"]) > 0
    np.testing.assert_allclose(a["boxes"], b["boxes"])
    # slices cover the whole image: centres of the merged boxes spread over it, not one slice
    centres = a["boxes"].mean(1)
    assert centres[:, 0].max() > 128 and centres[:, 1].max() > 128
    # no two survivors of one class overlap at or above the merge threshold
    for c in np.unique(a["labels"]):
        q = a["boxes"][a["labels"] == c]
        for i in range(len(q)):
            from geoarena.det.slicer import overlap_matrix

            assert (overlap_matrix(q[i], np.delete(q, i, 0), "iou") < 0.5).all()
    with pytest.raises(Exception, match="oriented boxes"):
        SlicedDetector(tiny_yolo_obb, SliceConfig(merge="greedy_nmm"))


def _compare_obb_with_ultralytics(model):
    rng = np.random.default_rng(2)
    img = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    det = SlicedDetector(
        model, SliceConfig(slice_height=128, slice_width=128, conf=1e-9, max_det=30)
    )
    det.predict_array(img)  # warm-up
    ours = det.predict_array(img)
    ref = model.predict(img[..., ::-1].copy(), imgsz=128, conf=1e-9, max_det=30, verbose=False)[
        0
    ].obb
    # match as sets: a random network has near-tied scores on neighbouring anchors
    ref_s, ref_q = ref.conf.numpy(), ref.xyxyxyxy.numpy()
    assert len(ours["scores"]) == len(ref_s)
    for i in np.argsort(-ours["scores"])[:10]:
        same = np.abs(ref_s - ours["scores"][i]) < 1e-5
        dist = np.abs(ref_q[same] - ours["boxes"][i]).reshape(int(same.sum()), -1).max(1)
        assert dist.min() < 1e-3


def test_onnxruntime_batch_parallel_equals_sequential(tmp_path, tiny_yolo):
    """Batches in flight on 2 threads (windows read meanwhile) give exactly the detections of the
    one-batch-at-a-time path, in the same order; and the ONNX network agrees with torch's."""
    img = np.random.default_rng(4).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    path = _write_scene(tmp_path / "scene.tif", img)
    common = {"slice_height": 128, "slice_width": 128, "batch_size": 2, "conf": 1e-9}
    common |= {"max_det": 30, "backend": "onnxruntime", "cache_dir": str(tmp_path / "onnx")}
    par = SlicedDetector(tiny_yolo, SliceConfig(**common, threads=2, parallel="batches"))
    seq = SlicedDetector(tiny_yolo, SliceConfig(**common, threads=1))
    assert par._batch_parallel and not seq._batch_parallel
    a, b = par.predict_raster(path), seq.predict_raster(path)
    assert len(a["scores"]) > 0
    for k in ("boxes", "scores", "labels"):
        np.testing.assert_array_equal(a[k], b[k])
    ref = SlicedDetector(tiny_yolo, SliceConfig(**{**common, "backend": "torch"}, threads=1))
    c = ref.predict_raster(path)
    np.testing.assert_allclose(a["scores"][:10], c["scores"][:10], atol=1e-4)
