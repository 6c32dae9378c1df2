"""Tiled, out-of-core classification of LAS/LAZ files and classified LAS output.

``classify_las`` streams the input in chunks into per-tile bucket files, then for each tile
loads its points plus a halo of neighbouring points (the overlap), computes features and class
probabilities on that window (networks merge votes of overlapping crops), keeps the tile's own
points, and finally streams the input again, writing every original point with its header
(scales, offsets, VLRs and so the CRS) and the predicted ASPRS class. Memory is bounded by the
chunk and tile sizes plus one byte per point for the predictions.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.pc.asprs import ClassMap
from geoarena.pc.features import FeatureConfig, compute_features
from geoarena.pc.io import LAS_ATTRIBUTES, PointCloud, linear_unit_to_metre

#: ``(xyz_m (M, 3) metres, features (M, F), n_target) -> probabilities (n_target, C)`` for the
#: first ``n_target`` points of a window (the tile's own points); the rest is context.
#: A predictor with the attribute ``pointwise = True`` (see ``pointwise``) classifies each point
#: from its own feature row only: it is then given the features of the target points alone
#: (``features`` has ``n_target`` rows) and is called once per batch of tiles.
WindowPredictor = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def pointwise(predict: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> WindowPredictor:
    """Mark ``predict`` as a per-point classifier (no use of neighbouring points' features), so
    ``classify_las`` computes features for each tile's own points only (the halo still serves
    as their neighbourhood) and batches several tiles into one call."""
    predict.pointwise = True  # type: ignore[attr-defined]
    return predict


@dataclass(frozen=True)
class TilingConfig:
    """Tile side and halo (overlap) in metres, and the streaming chunk size in points.

    The halo used is at least twice the largest height-feature radius, so that features of a
    tile's own points equal those computed on the whole cloud. ``predict_points``: a pointwise
    predictor is called once this many tiles' points are pending (bounds that buffer's memory).
    """

    tile_m: float = 50.0
    halo_m: float = 8.0
    chunk_points: int = 500_000
    predict_points: int = 250_000
    features: FeatureConfig = field(default_factory=FeatureConfig)


def write_classified_las(
    src: str | Path, labels_asprs: np.ndarray, out: str | Path, chunk_points: int = 1_000_000
) -> Path:
    """Copy ``src`` to ``out`` (LAS or LAZ by suffix) with ``classification`` replaced.

    Points, header scales/offsets and VLRs (CRS) are copied unchanged, chunk by chunk.
    """
    import laspy

    src, out = Path(src), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with laspy.open(src) as reader:
        n = reader.header.point_count
        if len(labels_asprs) != n:
            raise DataError(f"{len(labels_asprs)} predictions for {n} points", src)
        with laspy.open(
            out, mode="w", header=reader.header, do_compress=out.suffix.lower() == ".laz"
        ) as writer:
            start = 0
            for points in reader.chunk_iterator(chunk_points):
                points.classification = labels_asprs[start : start + len(points)]
                writer.write_points(points)
                start += len(points)
    return out


def _bucket_dtype(dims: list[str]) -> np.dtype:
    return np.dtype(
        [("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("index", "<i8")] + [(d, "<f4") for d in dims]
    )


def _window_cloud(records: np.ndarray, dims: list[str], unit: float) -> PointCloud:
    xyz = np.column_stack([records["x"], records["y"], records["z"]])
    return PointCloud(xyz=xyz, attributes={d: records[d] for d in dims}, unit_to_metre=unit)


def classify_las(
    src: str | Path,
    out: str | Path,
    predict: WindowPredictor,
    class_map: ClassMap,
    cfg: TilingConfig | None = None,
    work_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Classify every point of ``src`` tile by tile and write ``out``.

    Returns the per-point ASPRS codes written (``predictions``, uint8), the intensity scale used
    for the features, point/tile counts and timings.
    """
    import time

    import laspy

    cfg = cfg or TilingConfig()
    src = Path(src)
    if not src.exists():
        raise DataError("file not found", src)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="geoarena-tiles-", dir=work_dir))
    try:
        with laspy.open(src) as reader:
            header = reader.header
            n = header.point_count
            if n == 0:
                raise DataError("empty point cloud (0 points)", src)
            crs = header.parse_crs()
            unit = linear_unit_to_metre(crs)
            dims = [d for d in LAS_ATTRIBUTES if d in set(header.point_format.dimension_names)]
            dtype = _bucket_dtype(dims)
            tile_u = cfg.tile_m / unit  # tile side in file units
            origin = np.array(header.mins[:2])
            start = 0
            tiles: set[tuple[int, int]] = set()
            hist = np.zeros(65536, np.int64)
            for pts in reader.chunk_iterator(cfg.chunk_points):
                rec = np.empty(len(pts), dtype)
                rec["x"], rec["y"], rec["z"] = (
                    np.asarray(pts.x),
                    np.asarray(pts.y),
                    np.asarray(pts.z),
                )
                if not np.isfinite(rec["x"]).all():
                    raise DataError("non-finite coordinates", src)
                rec["index"] = np.arange(start, start + len(pts))
                for d in dims:
                    rec[d] = np.asarray(pts[d])
                start += len(pts)
                if "intensity" in dims:
                    hist += np.bincount(np.asarray(pts.intensity), minlength=65536)
                ij = np.floor((np.column_stack([rec["x"], rec["y"]]) - origin) / tile_u).astype(
                    np.int64
                )
                key = ij[:, 0] * 1_000_003 + ij[:, 1]
                order = np.argsort(key, kind="stable")
                ukey, first = np.unique(key[order], return_index=True)
                for k, chunk in zip(ukey, np.split(rec[order], first[1:])):
                    i, j = int(k // 1_000_003), int(k % 1_000_003)
                    tiles.add((i, j))
                    with open(tmp / f"{i}_{j}.bin", "ab") as f:
                        f.write(chunk.tobytes())
        t_bucket = time.perf_counter() - t0
        features = cfg.features
        if "intensity" in dims and not features.intensity_scale:
            p99 = float(np.searchsorted(np.cumsum(hist), 0.99 * hist.sum()))
            features = replace(features, intensity_scale=p99)
        pred = np.zeros(n, np.uint8)
        per_point = bool(getattr(predict, "pointwise", False))
        pending: list[tuple[np.ndarray, np.ndarray]] = []  # (original indices, features)

        def flush() -> None:
            if not pending:
                return
            index = np.concatenate([i for i, _ in pending])
            feats = np.concatenate([f for _, f in pending])
            pending.clear()
            proba = predict(np.zeros((len(feats), 3)), feats, len(feats))
            pred[index] = class_map.decode(proba[: len(feats)].argmax(axis=1))

        # the halo must hold every neighbour a feature looks at: the height features scan 3×3
        # grid cells of the radius, i.e. up to 2 radii away
        halo_u = max(cfg.halo_m, 2.0 * max(cfg.features.height_radii_m, default=0.0)) / unit
        for i, j in sorted(tiles):
            core = np.fromfile(tmp / f"{i}_{j}.bin", dtype)
            parts = [core]
            x0, y0 = origin + np.array([i, j]) * tile_u
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    if (di or dj) and (i + di, j + dj) in tiles:
                        nb = np.fromfile(tmp / f"{i + di}_{j + dj}.bin", dtype)
                        near = (nb["x"] >= x0 - halo_u) & (nb["x"] < x0 + tile_u + halo_u)
                        near &= (nb["y"] >= y0 - halo_u) & (nb["y"] < y0 + tile_u + halo_u)
                        parts.append(nb[near])
            window = np.concatenate(parts)
            cloud = _window_cloud(window, dims, unit)
            if per_point:
                feats, _ = compute_features(cloud, features, n_target=len(core))
                pending.append((core["index"], feats))
                if sum(len(f) for _, f in pending) >= cfg.predict_points:
                    flush()
                continue
            feats, _ = compute_features(cloud, features)
            xyz_m = (cloud.xyz - cloud.xyz.min(axis=0)) * unit
            proba = predict(xyz_m, feats, len(core))
            labels = proba[: len(core)].argmax(axis=1)
            pred[core["index"]] = class_map.decode(labels)
        flush()
        t_predict = time.perf_counter() - t0 - t_bucket
        write_classified_las(src, pred, out, cfg.chunk_points)
        return {
            "predictions": pred,
            "intensity_scale": features.intensity_scale,
            "points": float(n),
            "tiles": float(len(tiles)),
            "time/bucket_s": t_bucket,
            "time/predict_s": t_predict,
            "time/total_s": time.perf_counter() - t0,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def adapter_predictor(adapter) -> WindowPredictor:
    """A ``WindowPredictor`` from a fitted point-network or random-forest adapter."""
    if hasattr(adapter, "predict_proba"):
        return lambda xyz_m, feats, n: adapter.predict_proba(xyz_m, feats, n)[:n]
    return pointwise(lambda xyz_m, feats, n: adapter.predict_proba_features(feats[:n]))
