"""Batched sliced inference for large rasters (SAHI-compatible, window by window).

``SlicedDetector`` cuts a raster into overlapping slices laid out exactly like
``sahi.slicing.get_slice_bboxes``, reads them *window by window* with rasterio (a 50k × 50k
GeoTIFF never has to fit in memory), runs them through the YOLO network in batches of stacked
tensors (no per-slice predictor round trip), applies ultralytics' own NMS per slice, shifts
boxes to raster pixels and merges overlapping detections across slices with NMS or greedy NMM
(the same IOU/IOS rules and ``>=`` threshold as SAHI's postprocess). An optional full-image pass
(SAHI's ``perform_standard_pred``) reads a decimated overview and adds its detections before
merging. ``benchmarks/sliced_detection.py`` checks speed and agreement against SAHI.

Oriented-box (``-obb``) models are sliced the same way: per-slice rotated NMS (ultralytics'),
corners shifted to raster pixels, and a rotated-IoU NMS across slices (exact polygon overlap via
shapely). SAHI has no OBB path, so OBB merging is checked against a brute-force reference in the
tests instead.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from geoarena.core.errors import ConfigError, DataError


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


class SlicedDetector:
    """Sliced inference with an ultralytics YOLO detection model.

    Horizontal-box models return ``boxes`` as ``(N, 4)`` xyxy; oriented-box (``obb``) models as
    ``(N, 4, 2)`` corner quadrilaterals, both in the raster's pixel coordinates (feed them to
    ``geoarena.det.georef.write_detections_gpkg`` with ``box_type="obb"``).

    Args:
        model: an ``ultralytics.YOLO`` instance or a local ``.pt`` path.
        cfg: slicing settings.
        device: torch device string (``cpu``, ``cuda:0``).
    """

    def __init__(self, model: Any, cfg: SliceConfig | None = None, device: str = "cpu"):
        import torch

        from geoarena.det.yolo_offline import ensure_offline

        ensure_offline()
        from ultralytics import YOLO

        self.cfg = cfg or SliceConfig()
        self.yolo = YOLO(str(model)) if isinstance(model, (str, Path)) else model
        if self.yolo.task not in ("detect", "obb"):
            raise ConfigError(
                f"SlicedDetector handles detection and oriented-box models; this one is {self.yolo.task!r}"
            )
        self.obb = self.yolo.task == "obb"
        if self.obb and self.cfg.merge != "nms":
            raise ConfigError(
                f"merge {self.cfg.merge!r} is not defined for oriented boxes; use 'nms'"
            )
        self.device = torch.device(device)
        # the predictor fuses conv+bn too: do the same so both paths run the same arithmetic
        self.net = copy.deepcopy(self.yolo.model).to(self.device).float().fuse().eval()
        self.threads = int(self.cfg.threads or available_cores())
        self._batch_parallel = (
            self.cfg.backend == "onnxruntime"
            and self.cfg.parallel == "batches"
            and self.threads > 1
        )
        self.imgsz = int(self.cfg.imgsz or max(self.cfg.slice_height, self.cfg.slice_width))
        if self.imgsz % 32:
            raise ConfigError(f"imgsz {self.imgsz} must be a multiple of the network stride 32")
        self.session = self._onnx_session(model) if self.cfg.backend == "onnxruntime" else None

    def _onnx_session(self, model: Any) -> Any:
        """Export the fused network to ONNX once (keyed by weights hash and input size) and open
        an onnxruntime session (single-threaded per run when batches run in parallel)."""
        import hashlib

        import onnxruntime as ort
        import torch

        from geoarena.core.task import default_cache_dir

        src = (
            Path(str(model))
            if isinstance(model, (str, Path))
            else Path(str(getattr(self.yolo, "ckpt_path", "") or ""))
        )
        key = (
            hashlib.sha256(src.read_bytes()).hexdigest()[:16]
            if src.is_file()
            else f"mem{id(self.yolo)}"
        )
        folder = (
            Path(self.cfg.cache_dir) if self.cfg.cache_dir else default_cache_dir() / "det_onnx"
        )
        onnx_path = folder / f"{key}_{self.imgsz}.onnx"
        if not onnx_path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            net = copy.deepcopy(self.net).cpu()
            for m in net.modules():  # ultralytics' export mode: the head returns one tensor
                if hasattr(m, "export"):
                    m.export = True
                if hasattr(m, "format"):
                    m.format = "onnx"
            tmp = onnx_path.with_suffix(".tmp")
            torch.onnx.export(
                net,
                torch.zeros(1, 3, self.imgsz, self.imgsz),
                str(tmp),
                input_names=["images"],
                output_names=["preds"],
                dynamic_axes={"images": {0: "batch"}, "preds": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
            tmp.rename(onnx_path)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1 if self._batch_parallel else self.threads
        so.inter_op_num_threads = 1
        return ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

    # -- public --------------------------------------------------------------------------------
    def predict_raster(self, path: str | Path) -> dict[str, np.ndarray]:
        """Detections over a whole raster file, in its pixel coordinates."""
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.open(path) as ds:
                if ds.count < len(self.cfg.bands) or ds.dtypes[0] != "uint8":
                    raise DataError(
                        f"need {len(self.cfg.bands)} uint8 bands, raster has {ds.count} × {ds.dtypes[0]}",
                        path,
                    )
                wins = slice_windows(
                    ds.height,
                    ds.width,
                    self.cfg.slice_height,
                    self.cfg.slice_width,
                    self.cfg.overlap_height_ratio,
                    self.cfg.overlap_width_ratio,
                )
                parts = list(self._predict_slices(self._read_windows(ds, wins), wins))
                if self.cfg.full_image_pass and len(wins) > 1:
                    parts.append(self._full_pass_raster(ds))
        except RasterioError as exc:
            raise DataError(f"cannot read raster ({exc})", path) from exc
        return self._merge(parts)

    def predict_array(self, image: np.ndarray) -> dict[str, np.ndarray]:
        """Detections over an in-memory RGB uint8 image ``(H, W, 3)``."""
        h, w = image.shape[:2]
        wins = slice_windows(
            h,
            w,
            self.cfg.slice_height,
            self.cfg.slice_width,
            self.cfg.overlap_height_ratio,
            self.cfg.overlap_width_ratio,
        )
        parts = list(self._predict_slices((image[y0:y1, x0:x1] for x0, y0, x1, y1 in wins), wins))
        if self.cfg.full_image_pass and len(wins) > 1:
            parts.append(self._predict_full(image))
        return self._merge(parts)

    # -- internals -----------------------------------------------------------------------------
    def _read_windows(self, ds: Any, wins: list[tuple[int, int, int, int]]) -> Iterator[np.ndarray]:
        from rasterio.windows import Window

        for x0, y0, x1, y1 in wins:
            arr = ds.read(list(self.cfg.bands), window=Window(x0, y0, x1 - x0, y1 - y0))
            yield arr.transpose(1, 2, 0)

    def _batches(
        self, slices: Iterator[np.ndarray], wins: list[tuple[int, int, int, int]]
    ) -> Iterator[tuple[list[np.ndarray], list[tuple[int, int]]]]:
        batch, origins = [], []
        for win, sl in zip(wins, slices):
            batch.append(sl)
            origins.append(win[:2])
            if len(batch) == self.cfg.batch_size:
                yield batch, origins
                batch, origins = [], []
        if batch:
            yield batch, origins

    def _predict_slices(
        self, slices: Iterator[np.ndarray], wins: list[tuple[int, int, int, int]]
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if not self._batch_parallel:
            for images, origins in self._batches(slices, wins):
                yield from self._forward(images, origins)
            return
        # batch-parallel: ``threads`` batches in flight, each run single-threaded by onnxruntime
        # (which releases the GIL); the next windows are read and NMS is done meanwhile, in order
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        pending: deque = deque()
        with ThreadPoolExecutor(self.threads, thread_name_prefix="slicer") as pool:
            for images, origins in self._batches(slices, wins):
                x = self._prepare(images)
                pending.append((pool.submit(self._infer, x), images, origins, x.shape[2:]))
                if len(pending) > self.threads:
                    fut, ims, ors, shape = pending.popleft()
                    yield from self._postprocess(fut.result(), ims, ors, shape)
            while pending:
                fut, ims, ors, shape = pending.popleft()
                yield from self._postprocess(fut.result(), ims, ors, shape)

    def _forward(
        self, images: list[np.ndarray], origins: list[tuple[int, int]]
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """One batch of slices → per-slice ``(boxes, scores, labels)`` shifted by ``origins``."""
        x = self._prepare(images)
        yield from self._postprocess(self._infer(x), images, origins, x.shape[2:])

    def _prepare(self, images: list[np.ndarray]) -> np.ndarray:
        """RGB uint8 slices → contiguous float32 NCHW in [0, 1] (letterboxed when smaller)."""
        shapes = {im.shape[:2] for im in images}
        if shapes == {(self.imgsz, self.imgsz)}:
            x = np.stack(images)
        else:  # slices smaller than the network input (image smaller than a slice): letterbox
            from ultralytics.data.augment import LetterBox

            lb = LetterBox((self.imgsz, self.imgsz), auto=len(shapes) == 1, stride=32)
            x = np.stack([lb(image=im) for im in images])
        # contiguous NCHW like ultralytics' predictor: the memory layout picks the conv kernels,
        # and with them the last bits of every output
        out = np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32)
        out /= 255
        return out

    def _infer(self, x: np.ndarray) -> Any:
        """Raw network output for one prepared batch (a torch tensor on the CPU or device)."""
        import torch

        if self.session is not None:
            return torch.from_numpy(self.session.run(None, {"images": x})[0])
        with torch.inference_mode():
            # ultralytics resets torch's thread count whenever one of its predictors starts
            if torch.get_num_threads() != self.threads:
                torch.set_num_threads(self.threads)
            preds = self.net(torch.from_numpy(x).to(self.device))
            return preds[0] if isinstance(preds, (list, tuple)) else preds

    def _postprocess(
        self, preds: Any, images: list[np.ndarray], origins: list[tuple[int, int]], in_shape: Any
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        import torch
        from ultralytics.utils import nms, ops

        with torch.inference_mode():
            # no NMS time limit: ultralytics' default (2 s + 50 ms per image) silently drops the
            # rest of a batch on a busy machine
            dets = nms.non_max_suppression(
                preds,
                self.cfg.conf,
                self.cfg.iou,
                None,
                False,
                max_det=self.cfg.max_det,
                nc=len(self.yolo.names) if self.obb else 0,
                max_time_img=3600.0,
                end2end=getattr(self.net, "end2end", False),
                rotated=self.obb,
            )
        if self.obb:
            yield from self._obb_results(dets, images, origins, in_shape)
            return
        for det, im, (ox, oy) in zip(dets, images, origins):
            det = det.clone()
            det[:, :4] = ops.scale_boxes(in_shape, det[:, :4], im.shape[:2])
            d = det.cpu().numpy().astype(np.float64)
            yield d[:, :4] + np.array([ox, oy, ox, oy]), d[:, 4], d[:, 5].astype(np.int64)

    def _obb_results(
        self, dets: list, images: list[np.ndarray], origins: list[tuple[int, int]], in_shape: Any
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Rotated detections ``[cx, cy, w, h, conf, cls, angle]`` → slice corners → raster pixels
        (the same steps as ultralytics' OBB predictor)."""
        import torch
        from ultralytics.utils import ops

        for det, im, (ox, oy) in zip(dets, images, origins):
            rb = torch.cat([det[:, :4], det[:, -1:]], dim=-1).clone()
            rb[:, :4] = ops.scale_boxes(in_shape, rb[:, :4], im.shape[:2], xywh=True)
            # ultralytics' own corner order, so the output equals its ``Results.obb.xyxyxyxy``
            quads = ops.xywhr2xyxyxyxy(rb.cpu().double()).numpy() + np.array([ox, oy])
            d = det.cpu().numpy().astype(np.float64)
            yield quads, d[:, 4], d[:, 5].astype(np.int64)

    def _predict_full(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = self.yolo.predict(
            np.ascontiguousarray(image[..., ::-1]),
            imgsz=self.imgsz,
            conf=self.cfg.conf,
            iou=self.cfg.iou,
            max_det=self.cfg.max_det,
            device=str(self.device),
            verbose=False,
        )[0]
        if self.obb:
            from geoarena.det.yolo_adapter import results_to_dict

            d = results_to_dict(r, True)
            return d["boxes"], d["scores"], d["labels"]
        b = r.boxes
        return (
            b.xyxy.cpu().numpy().astype(np.float64),
            b.conf.cpu().numpy().astype(np.float64),
            b.cls.cpu().numpy().astype(np.int64),
        )

    def _full_pass_raster(self, ds: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Full-image pass from a decimated read (the whole raster at network resolution)."""
        from rasterio.enums import Resampling

        scale = self.imgsz / max(ds.height, ds.width)
        oh, ow = max(1, round(ds.height * scale)), max(1, round(ds.width * scale))
        small = ds.read(
            list(self.cfg.bands),
            out_shape=(len(self.cfg.bands), oh, ow),
            resampling=Resampling.bilinear,
        ).transpose(1, 2, 0)
        b, s, lab = self._predict_full(small)
        if self.obb:  # corners scale per axis (exact for the quadrilateral, whatever its angle)
            return b * np.array([ds.width / ow, ds.height / oh]), s, lab
        return b * np.array([ds.width / ow, ds.height / oh] * 2), s, lab

    def _merge(
        self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> dict[str, np.ndarray]:
        if not parts:
            return _empty(self.obb)
        boxes = np.concatenate([p[0] for p in parts]).reshape((-1, 4, 2) if self.obb else (-1, 4))
        scores = np.concatenate([p[1] for p in parts])
        labels = np.concatenate([p[2] for p in parts])
        if len(parts) == 1:
            return {"boxes": boxes, "scores": scores, "labels": labels}
        return merge_predictions(
            boxes,
            scores,
            labels,
            self.cfg.merge,
            self.cfg.match_metric,
            self.cfg.match_threshold,
            self.cfg.class_agnostic,
        )
