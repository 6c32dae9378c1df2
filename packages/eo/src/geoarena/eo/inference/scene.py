"""Streaming prediction of a whole scene (GeoTIFF/COG of any size) with blended overlapping windows.

Windows are processed one row of windows at a time. Accumulators (weighted class probabilities
and weights) exist only for the band of rows the current window row covers; once a window row
is done, every row above the next window row's start is final, so it is normalised, arg-maxed and
written to a tiled GeoTIFF, and the band shifts down. Memory is therefore O(window × width), not
O(height × width). The finished GeoTIFF is then converted to a COG (GDAL's COG driver copies it
block by block and adds overviews), keeping the input's CRS and transform.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from geoarena.core.errors import DataError
from geoarena.eo.data.raster_io import open_raster
from geoarena.eo.inference.blending import d4_predict, window_weight, window_weight_1d

log = logging.getLogger(__name__)


@dataclass
class PredictConfig:
    """Settings of ``predict_scene``.

    Attributes:
        window, stride: window side and step in pixels (stride < window overlaps windows).
        batch_size: windows per model call.
        blend: ``gaussian``, ``cosine`` or ``none`` weighting of overlapping windows.
        tta: average over the 8 D4 transforms of each window.
        scales: input rescalings averaged together (1.0 = native); windows are resized by each
            factor before the model and predictions resized back.
        mean, std: per-band normalisation applied to the raw values (the model card's).
        bands: 1-based band indexes to read (default: all).
        num_classes: model output channels.
        write_probabilities: also write a uint8 (0–255) probability COG, one band per class.
        nodata_class: class written where every input band equals the raster's nodata value.
        device: torch device.
    """

    window: int = 256
    stride: int = 192
    batch_size: int = 16
    blend: str = "gaussian"
    tta: bool = False
    scales: tuple[float, ...] = (1.0,)
    mean: Sequence[float] = ()
    std: Sequence[float] = ()
    bands: list[int] | None = None
    num_classes: int = 2
    write_probabilities: bool = False
    nodata_class: int = 255
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)


def _starts(n: int, window: int, stride: int) -> list[int]:
    if n <= window:
        return [0]
    s = list(range(0, n - window + 1, stride))
    if s[-1] + window < n:
        s.append(n - window)
    return s


class _Forward:
    """Model call on a normalised float batch → class probabilities (TTA and scales applied)."""

    def __init__(self, model: Callable, cfg: PredictConfig):
        import torch

        self.model, self.cfg, self.torch = model, cfg, torch

    def __call__(self, x):
        torch = self.torch
        F = torch.nn.functional
        out = None
        for s in self.cfg.scales:
            xs = (
                x
                if s == 1.0
                else F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
            )
            y = d4_predict(self.model, xs) if self.cfg.tta else torch.softmax(self.model(xs), 1)
            if s != 1.0:
                y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
            out = y if out is None else out + y
        return out / len(self.cfg.scales)


def predict_scene(
    model: Callable,
    src_path: str | Path,
    out_path: str | Path,
    cfg: PredictConfig,
    prob_path: str | Path | None = None,
) -> dict[str, Any]:
    """Predict ``src_path`` with ``model`` (``(B,C,h,w)`` float → ``(B,K,h,w)`` logits) and write a
    class-map COG to ``out_path`` (and class probabilities to ``prob_path``).

    Returns a summary: windows, seconds, output paths.
    """
    import time

    import torch

    t0 = time.perf_counter()
    src_path, out_path = Path(src_path), Path(out_path)
    forward = _Forward(model, cfg)
    win, stride = cfg.window, cfg.stride
    if not 0 < stride <= win:
        raise ValueError(f"stride must be in (0, window], got {stride} for window {win}")
    w1 = window_weight_1d(win, cfg.blend)
    weight = torch.from_numpy(np.outer(w1, w1))
    # a fixed GDAL block cache: by default it grows to 5 % of RAM as blocks are read/written;
    # strips are read top to bottom, so the block rows one strip spans are all it needs
    with open_raster(src_path) as probe:
        cache = cfg.extra.get("gdal_cache_mb") or strip_cache_bytes(probe, win)
    with (
        rasterio.Env(GDAL_CACHEMAX=cache),
        open_raster(src_path) as src,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="scene-read") as reader,
    ):
        bands = cfg.bands or list(range(1, src.count + 1))
        if cfg.mean and len(cfg.mean) != len(bands):
            raise DataError(
                f"model expects {len(cfg.mean)} bands, raster provides {len(bands)}", src_path
            )
        if src.height < win or src.width < win:
            raise DataError(
                f"raster {src.height}×{src.width} is smaller than the {win}px window", src_path
            )
        H, W, K = src.height, src.width, cfg.num_classes
        nodata = src.nodata
        # float rasters mark missing pixels with NaN even without a nodata value: those pixels
        # (any band NaN/inf, or every band == nodata) are written as nodata, never as a class
        is_float = np.dtype(src.dtypes[0]).kind == "f"
        masked = nodata is not None or is_float
        fill = np.asarray(cfg.mean or [0.0] * len(bands), np.float32)[:, None, None]
        mean = torch.tensor(cfg.mean or [0.0] * len(bands), dtype=torch.float32)[
            None, :, None, None
        ]
        inv_std = (
            1.0
            / torch.tensor(cfg.std or [1.0] * len(bands), dtype=torch.float32)[None, :, None, None]
        )
        profile = {
            "driver": "GTiff",
            "width": W,
            "height": H,
            "count": 1,
            "dtype": "uint8",
            "crs": src.crs,
            "transform": src.transform,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            "compress": "deflate",
            "nodata": cfg.nodata_class if masked else None,
        }
        rows, cols = _starts(H, win, stride), _starts(W, win, stride)
        # a strip's windows in equal batches of at most batch_size (21 windows: 11 + 10, not
        # 16 + 5): the model's working memory follows the largest batch, not the scene's width
        per_batch = -(-len(cols) // -(-len(cols) // cfg.batch_size))
        # the weight is separable and windows lie on a grid, so the weight sum is an outer product
        row_wsum = np.zeros(H, np.float32)
        col_wsum = np.zeros(W, np.float32)
        for r in rows:
            row_wsum[r : r + win] += w1
        for c in cols:
            col_wsum[c : c + win] += w1
        col_wsum_t = torch.from_numpy(col_wsum)
        tmpdir = tempfile.TemporaryDirectory(dir=out_path.parent)
        tmp_cls = Path(tmpdir.name) / "classes.tif"
        tmp_prob = Path(tmpdir.name) / "probs.tif"
        dst = rasterio.open(tmp_cls, "w", **profile)
        pdst = (
            rasterio.open(tmp_prob, "w", **{**profile, "count": K, "nodata": None})
            if prob_path
            else None
        )
        # weighted probability sums for the band of rows [band_top, band_top + win)
        # accumulated in numpy (one thread, no intra-op barrier per small add on a busy machine);
        # ``acc`` is a torch view of the same memory for the arg-max
        acc_np = np.zeros((K, win, W), dtype=np.float32)
        acc = torch.from_numpy(acc_np)
        band_top = 0
        n_windows = 0

        # two strip buffers, filled in turn: no fresh W-wide allocation per strip (the
        # allocator would keep the freed ones and peak memory would grow with the strip count)
        buffers = [np.empty((len(bands), win, W), np.dtype(src.dtypes[0])) for _ in range(2)]

        def read_strip(k: int) -> np.ndarray:
            return src.read(bands, window=Window(0, rows[k], W, win), out=buffers[k % 2])

        # the next strip is decoded (GDAL releases the GIL) while this one runs through the
        # model; one reader thread, so the dataset handle is never used concurrently
        pending = reader.submit(read_strip, 0)
        with torch.inference_mode():
            for i, r in enumerate(rows):
                strip = pending.result()
                if i + 1 < len(rows):
                    pending = reader.submit(read_strip, i + 1)
                if r != band_top:  # shift the band down (rows above r were finalised already)
                    shift = r - band_top
                    acc_np[:, : win - shift] = acc_np[:, shift:]  # numpy buffers the overlap
                    acc_np[:, win - shift :] = 0
                    band_top = r
                valid = None if nodata is None else (strip != nodata).any(0)
                if is_float:
                    finite = np.isfinite(strip)
                    if not finite.all():
                        all_finite = finite.all(0)
                        valid = all_finite if valid is None else valid & all_finite
                        # the band mean normalises to 0: NaN must not leak into neighbours
                        strip = np.where(finite, strip, fill)
                for b0 in range(0, len(cols), per_batch):
                    cs = cols[b0 : b0 + per_batch]
                    raw = np.stack([strip[:, :, c : c + win] for c in cs])
                    x = torch.from_numpy(raw).float().sub_(mean).mul_(inv_std)
                    p = forward(x.to(cfg.device)).float().cpu().mul_(weight).numpy()
                    for j, c in enumerate(cs):
                        acc_np[:, :, c : c + win] += p[j]
                    n_windows += len(cs)
                # rows [r, next_r) are final now
                next_r = rows[i + 1] if i + 1 < len(rows) else r + win
                n_final = next_r - r
                final = acc[:, :n_final]
                # argmax of the weighted sum equals argmax of the normalised mean (weights > 0)
                classes = _argmax_classes(final).numpy()
                if valid is not None:
                    classes[~valid[:n_final]] = cfg.nodata_class
                dst.write(classes[None], window=Window(0, r, W, n_final))
                if pdst is not None:
                    norm = torch.from_numpy(row_wsum[r:next_r])[:, None] * col_wsum_t[None, :]
                    probs = (final / norm).clamp_(0, 1).mul_(255).round_().to(torch.uint8)
                    pdst.write(probs.numpy(), window=Window(0, r, W, n_final))
        dst.close()
        if pdst is not None:
            pdst.close()
    with rasterio.Env(GDAL_CACHEMAX=cache):
        _to_cog(tmp_cls, out_path, "NEAREST")
        if prob_path:
            _to_cog(tmp_prob, Path(prob_path), "AVERAGE")
    tmpdir.cleanup()
    return {
        "windows": n_windows,
        "seconds": time.perf_counter() - t0,
        "classes": str(out_path),
        "probabilities": str(prob_path) if prob_path else None,
        "height": H,
        "width": W,
    }


def strip_cache_bytes(src, window: int) -> int:
    """GDAL block-cache bytes for reading ``src`` in full-width strips of ``window`` rows: the
    block rows one strip can span (every band's blocks), at least 8 MB."""
    block_h, block_w = src.block_shapes[0]
    rows = -(-window // block_h) + 1  # a strip not aligned to the blocks touches one more
    per_row = -(-src.width // block_w) * block_h * block_w * src.count
    return max(8 << 20, rows * per_row * np.dtype(src.dtypes[0]).itemsize)


def _argmax_classes(scores):
    """Class index of the largest score along dim 0 as uint8, by K − 1 vectorised comparisons
    (a strided reduction over the class axis is several times slower for small K)."""
    import torch

    best = scores[0].clone()
    idx = torch.zeros(best.shape, dtype=torch.uint8)
    for k in range(1, scores.shape[0]):
        better = scores[k] > best
        idx[better] = k
        torch.maximum(best, scores[k], out=best)
    return idx


def _to_cog(src: Path, dst: Path, resampling: str) -> None:
    """Tiled GeoTIFF → Cloud-Optimised GeoTIFF (DEFLATE, 256² blocks, internal overviews)."""
    from rasterio.shutil import copy as rio_copy

    rio_copy(
        src,
        dst,
        driver="COG",
        COMPRESS="DEFLATE",
        BLOCKSIZE=256,
        OVERVIEW_RESAMPLING=resampling,
        NUM_THREADS="ALL_CPUS",
    )


def vectorize_classes(
    class_map: str | Path,
    out_gpkg: str | Path,
    classes: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    block: int = 2048,
) -> int:
    """Polygons of every class region of ``class_map`` (read block by block) → GeoPackage in the
    raster's CRS, one feature per connected region (regions cut at block edges are dissolved by
    class afterwards). Returns the number of features written."""
    import geopandas as gpd
    from rasterio import features
    from shapely.geometry import shape

    rows = []
    with open_raster(class_map) as src:
        nodata = src.nodata
        for r in range(0, src.height, block):
            for c in range(0, src.width, block):
                w = Window(c, r, min(block, src.width - c), min(block, src.height - r))
                data = src.read(1, window=w)
                mask = np.ones_like(data, bool) if classes is None else np.isin(data, classes)
                if nodata is not None:
                    mask &= data != nodata
                for geom, val in features.shapes(
                    data, mask=mask, transform=src.window_transform(w)
                ):
                    rows.append((int(val), shape(geom)))
        crs = src.crs
    if not rows:
        gdf = gpd.GeoDataFrame({"class_id": []}, geometry=[], crs=crs)
    else:
        gdf = gpd.GeoDataFrame(
            {"class_id": [v for v, _ in rows]}, geometry=[g for _, g in rows], crs=crs
        )
        # merge pieces of one region split by block edges
        gdf = (
            gdf.dissolve(by="class_id", as_index=False)
            .explode(index_parts=False)
            .reset_index(drop=True)
        )
    if class_names:
        gdf["class_name"] = [
            class_names[i] if 0 <= i < len(class_names) else str(i) for i in gdf["class_id"]
        ]
    gdf.to_file(out_gpkg, driver="GPKG", layer="predictions")
    return len(gdf)


def in_memory_predict(model: Callable, src_path: str | Path, cfg: PredictConfig) -> np.ndarray:
    """The common recipe this module replaces (kept as the benchmark's and tests' reference):
    read the whole raster, loop windows one at a time, accumulate Gaussian-weighted softmax into
    full-size arrays, normalise, argmax. Returns the class map."""
    import torch

    with open_raster(src_path) as src:
        img = src.read(cfg.bands).astype(np.float32)
    mean = np.asarray(cfg.mean or [0.0] * img.shape[0], np.float32)[:, None, None]
    std = np.asarray(cfg.std or [1.0] * img.shape[0], np.float32)[:, None, None]
    img = (img - mean) / std
    _, H, W = img.shape
    win = cfg.window
    weight = window_weight(win, cfg.blend)
    acc = np.zeros((cfg.num_classes, H, W), np.float32)
    wsum = np.zeros((H, W), np.float32)
    with torch.inference_mode():
        for r in _starts(H, win, cfg.stride):
            for c in _starts(W, win, cfg.stride):
                x = torch.from_numpy(np.ascontiguousarray(img[None, :, r : r + win, c : c + win]))
                p = torch.softmax(model(x.to(cfg.device)), 1)[0].float().cpu().numpy()
                acc[:, r : r + win, c : c + win] += p * weight
                wsum[r : r + win, c : c + win] += weight
    return (acc / wsum).argmax(0).astype(np.uint8)


def scene_windows(height: int, width: int, window: int, stride: int) -> int:
    """Number of windows ``predict_scene`` runs for a scene (for progress/ETA)."""
    return len(_starts(height, window, stride)) * len(_starts(width, window, stride))


__all__ = [
    "PredictConfig",
    "in_memory_predict",
    "predict_scene",
    "scene_windows",
    "vectorize_classes",
]
