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
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import ConfigError, DataError
from geoarena.det.slice_geometry import (  # re-exported: the slicer's public surface
    SliceConfig,
    _empty,
    available_cores,
    merge_predictions,
    overlap_matrix,
    slice_windows,
)
from geoarena.det.ultralytics_results import results_to_dict

__all__ = [
    "SliceConfig",
    "SlicedDetector",
    "available_cores",
    "merge_predictions",
    "overlap_matrix",
    "slice_windows",
]


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
        from geoarena.det.safe_load import load_yolo

        self.cfg = cfg or SliceConfig()
        self.yolo = load_yolo(model) if isinstance(model, (str, Path)) else model
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
        from ultralytics.utils import ops

        # NMS on one small batch gains nothing from torch's intra-op pool; with ONNX Runtime
        # runs in flight on the other cores it only adds threads that wait for a core
        saved = torch.get_num_threads()
        if self.session is not None and saved != 1:
            torch.set_num_threads(1)
        try:
            dets = self._nms(preds)
        finally:
            if torch.get_num_threads() != saved:
                torch.set_num_threads(saved)
        if self.obb:
            yield from self._obb_results(dets, images, origins, in_shape)
            return
        for det, im, (ox, oy) in zip(dets, images, origins):
            det = det.clone()
            det[:, :4] = ops.scale_boxes(in_shape, det[:, :4], im.shape[:2])
            d = det.cpu().numpy().astype(np.float64)
            yield d[:, :4] + np.array([ox, oy, ox, oy]), d[:, 4], d[:, 5].astype(np.int64)

    def _nms(self, preds: Any) -> list:
        """ultralytics' own per-slice NMS of one batch of raw network outputs."""
        import torch
        from ultralytics.utils import nms

        with torch.inference_mode():
            # no NMS time limit: ultralytics' default (2 s + 50 ms per image) silently drops the
            # rest of a batch on a busy machine
            return nms.non_max_suppression(
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
