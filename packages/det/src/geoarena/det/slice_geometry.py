"""Slice layout and cross-slice merging, independent of any network.

``slice_windows`` lays slices out exactly like ``sahi.slicing.get_slice_bboxes``;
``merge_predictions`` merges detections across slices with NMS or greedy NMM (SAHI's IOU/IOS
rules and ``>=`` threshold) for horizontal boxes, and with exact polygon overlap (shapely) for
oriented ones. ``geoarena.det.slicer.SlicedDetector`` runs a network over these slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geoarena.core.errors import ConfigError


@dataclass
class SliceConfig:
    """Slicing, batching and merging settings (names follow SAHI's arguments).

    Attributes:
        slice_height, slice_width: slice size in pixels.
        overlap_height_ratio, overlap_width_ratio: overlap between neighbouring slices.
        batch_size: slices per forward pass.
        full_image_pass: also predict on the whole image resized to ``imgsz``.
        merge: ``nms`` (drop lower-scored matches) or ``greedy_nmm`` (merge them into the keeper).
        match_metric: ``iou`` or ``ios`` (intersection over the smaller box).
        match_threshold: matches at or above this overlap are merged/suppressed.
        class_agnostic: merge across classes.
        conf, iou, max_det: the detector's own per-slice thresholds (ultralytics semantics).
        imgsz: network input size (default: the slice size).
        bands: 1-based raster bands holding R, G, B.
        backend: ``torch`` (the fused ultralytics network in eager PyTorch) or ``onnxruntime``
            (the same fused network exported once to ONNX with a dynamic batch axis, cached next
            to ``cache_dir``; 2–3× faster convolutions on CPU, outputs equal to ~1e-4 px).
        cache_dir: where exported ONNX files are kept (default ``<cache>/det_onnx``).
        threads: CPU threads of the forward pass; ``None`` = every core this process may use.
            (ultralytics' own predictor, and so SAHI's, pins torch to ``cores − 1``.)
        parallel: how onnxruntime uses ``threads``: ``batches`` runs that many batches at once,
            each single-threaded, while the next windows are read (the faster on small CPUs);
            ``intra_op`` splits each batch's operators over the threads. The torch backend always
            splits operators (torch's intra-op pool).
    """

    slice_height: int = 512
    slice_width: int = 512
    overlap_height_ratio: float = 0.2
    overlap_width_ratio: float = 0.2
    batch_size: int = 4
    full_image_pass: bool = False
    merge: Literal["nms", "greedy_nmm"] = "nms"
    match_metric: Literal["iou", "ios"] = "iou"
    match_threshold: float = 0.5
    class_agnostic: bool = False
    conf: float = 0.25
    iou: float = 0.7
    max_det: int = 300
    imgsz: int | None = None
    bands: tuple[int, ...] = (1, 2, 3)
    backend: Literal["torch", "onnxruntime"] = "torch"
    cache_dir: str | None = None
    threads: int | None = None
    parallel: Literal["batches", "intra_op"] = "batches"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the machine's count)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def slice_windows(
    height: int, width: int, slice_height: int, slice_width: int, overlap_h: float, overlap_w: float
) -> list[tuple[int, int, int, int]]:
    """Slice boxes ``(x0, y0, x1, y1)`` in SAHI's layout: row-major, stride ``size − int(ratio·size)``,
    slices past the edge shifted back inside the image."""
    if overlap_h >= 1 or overlap_w >= 1:
        raise ConfigError("overlap ratios must be below 1")
    oy, ox = int(overlap_h * slice_height), int(overlap_w * slice_width)
    out = []
    y0 = y1 = 0
    while y1 < height:
        x0 = x1 = 0
        y1 = y0 + slice_height
        while x1 < width:
            x1 = x0 + slice_width
            if y1 > height or x1 > width:
                # past an edge: shift back inside; the shifted top also holds for the rest of the row
                x1, y1 = min(width, x1), min(height, y1)
                x0, y0 = max(0, x1 - slice_width), max(0, y1 - slice_height)
            out.append((x0, y0, x1, y1))
            x0 = x1 - ox
        y0 = y1 - oy
    return out


def overlap_matrix(box: np.ndarray, others: np.ndarray, metric: str) -> np.ndarray:
    """IOU or IOS (intersection over the smaller area) of one box against many.

    Boxes are xyxy rows, or ``(4, 2)`` corner quadrilaterals (oriented boxes; exact polygon
    intersection)."""
    if box.ndim == 2:
        return _polygon_overlap(box, others, metric)
    iw = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    ih = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = iw * ih
    a = (box[2] - box[0]) * (box[3] - box[1])
    b = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    denom = np.minimum(a, b) if metric == "ios" else a + b - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, inter / denom, 0.0)


def _polygon_overlap(quad: np.ndarray, others: np.ndarray, metric: str) -> np.ndarray:
    import shapely

    from geoarena.det.boxes import poly_area

    if len(others) == 0:
        return np.zeros(0)
    a_poly = shapely.make_valid(shapely.polygons(quad))
    b_poly = shapely.make_valid(shapely.polygons(others))
    inter = shapely.area(shapely.intersection(a_poly, b_poly))
    a, b = poly_area(quad[None])[0], poly_area(others)
    denom = np.minimum(a, b) if metric == "ios" else a + b - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, inter / denom, 0.0)


def merge_predictions(
    boxes: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    merge: str = "nms",
    metric: str = "iou",
    threshold: float = 0.5,
    class_agnostic: bool = False,
) -> dict[str, np.ndarray]:
    """Merge detections from overlapping slices (SAHI's NMS / greedy NMM rules).

    Candidates are visited by descending score (ties by x1, y1, x2, y2); a keeper suppresses
    (``nms``) or absorbs (``greedy_nmm``: union box, max score, keeper's class) every unvisited
    candidate of its class whose overlap is ``>= threshold`` (for NMM, re-checked against the
    growing merged box, as SAHI does).

    ``boxes`` may also be ``(N, 4, 2)`` corner quadrilaterals (oriented boxes): then only ``nms``
    is defined (the union of two rotated boxes is no rotated box), ties are broken by the corners.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    oriented = boxes.ndim == 3
    if oriented and merge != "nms":
        raise ConfigError(f"merge {merge!r} is not defined for oriented boxes; use 'nms'")
    out_b, out_s, out_l = [], [], []
    groups = (
        [np.arange(len(scores))]
        if class_agnostic
        else [np.where(labels == c)[0] for c in np.unique(labels)]
    )
    for idx in groups:
        b, s = boxes[idx], scores[idx]
        flat = b.reshape(len(b), -1)
        order = np.lexsort((*flat.T[::-1], -s))
        b, s, lab = b[order], s[order], labels[idx][order]
        alive = np.ones(len(s), dtype=bool)
        for i in range(len(s)):
            if not alive[i]:
                continue
            alive[i] = False
            rest = np.where(alive[i + 1 :])[0] + i + 1
            keep_box, keep_label = b[i].copy(), lab[i]
            if len(rest):
                hit = rest[overlap_matrix(b[i], b[rest], metric) >= threshold]
                alive[hit] = False
                if merge == "greedy_nmm":
                    # SAHI merges matches one by one (in score order) into the growing box, and
                    # drops a match that no longer overlaps the grown box enough
                    for j in hit:
                        if overlap_matrix(keep_box, b[j : j + 1], metric)[0] >= threshold:
                            keep_box = np.concatenate(
                                [
                                    np.minimum(keep_box[:2], b[j, :2]),
                                    np.maximum(keep_box[2:], b[j, 2:]),
                                ]
                            )
                            if s[j] >= s[i]:
                                keep_label = lab[j]  # equal scores: SAHI keeps the later class
            out_b.append(keep_box)
            out_s.append(s[i])
            out_l.append(keep_label)
    if not out_b:
        return _empty(oriented)
    order = np.argsort(-np.asarray(out_s), kind="stable")
    return {
        "boxes": np.asarray(out_b)[order],
        "scores": np.asarray(out_s)[order],
        "labels": np.asarray(out_l, dtype=np.int64)[order],
    }


def _empty(oriented: bool = False) -> dict[str, np.ndarray]:
    return {
        "boxes": np.zeros((0, 4, 2) if oriented else (0, 4)),
        "scores": np.zeros(0),
        "labels": np.zeros(0, dtype=np.int64),
    }
