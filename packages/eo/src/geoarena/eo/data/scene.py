"""Generic "GeoTIFF scene + vector labels" task builder (Raster Vision style).

A scene is one raster plus label geometries. Labels are reprojected to the raster's CRS,
rasterised into a class mask, and the scene is cut into non-overlapping chips; chips are grouped
into spatial blocks and whole blocks go to train/val/test. An optional area of interest (AOI, as
Raster Vision's ``aoi_uris``) limits a scene to where the labels are complete: only the AOI's
bounding window is read, and pixels outside the AOI polygons count as nodata. Segmentation tasks keep the mask per
chip; classification tasks label a chip by the share of foreground pixels it contains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import rasterio
import rasterio.errors
import rasterio.windows
from rasterio import features
from rasterio.transform import Affine
from rasterio.windows import Window

from geoarena.core.errors import DataError
from geoarena.eo.band_catalogue import check_band_names
from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipArrays
from geoarena.eo.data.raster_io import read_raster, read_vector
from geoarena.eo.data.splits import assign_blocks, block_ids


@dataclass(frozen=True)
class SceneSource:
    """One labelled scene.

    Attributes:
        raster: GeoTIFF/COG (or any GDAL raster; PNG for un-georeferenced crops), or a tuple of
            co-registered rasters of the same grid, one per date (a multi-temporal stack).
        labels: vector file path, or a GeoDataFrame already in memory (e.g. parsed boxes).
        label_space: ``map`` (geometries in a CRS, reprojected to the raster's) or ``pixel``
            (geometries in column/row coordinates of the raster).
        class_field: attribute holding the class of each geometry; ``None`` burns ``burn_value``.
        class_values: mapping attribute value → class index (with ``class_field``).
        burn_value: class index burnt for every geometry when ``class_field`` is ``None``.
        aoi: area of interest (vector file or GeoDataFrame with a CRS; map-space labels only):
            the part of the scene whose labels are complete. ``None``: the whole raster.
    """

    raster: Path | tuple[Path, ...]
    labels: Any
    label_space: Literal["map", "pixel"] = "map"
    class_field: str | None = None
    class_values: tuple[tuple[Any, int], ...] = ()
    burn_value: int = 1
    aoi: Any = None


@dataclass(frozen=True)
class SceneTaskSpec:
    """How scenes become chips.

    Attributes:
        kind: ``seg`` (per-pixel mask) or ``cls`` (chip label by foreground coverage).
        band_names: canonical names of the raster's bands, in order (checked against the file).
        chip_size: chip side in pixels (non-overlapping grid).
        block_chips: side of a spatial block in chips; whole blocks go to one split.
        fractions: train/val/test shares of chips.
        split_seed: seed of the block shuffle (fixed per task, never the run seed).
        coverage_threshold: ``cls`` only: foreground share at or above which a chip is positive.
        min_valid: chips with a smaller share of valid (non-nodata) pixels are dropped.
        train_negative_ratio: ``seg`` only: keep at most this many chips without foreground per
            chip with foreground in the train split (Raster Vision's negative-chip sampling; the
            dropped chips get split ``-1``); val/test keep every chip. ``None`` keeps all.
        train_stride: step in pixels between training chips (``None``: ``chip_size``). A
            smaller step adds overlapping training chips (Raster Vision's chip stride, the
            translations TorchGeo's random sampler draws) wherever a chip lies wholly on
            training pixels, so no training chip sees a val or test pixel; val and test stay
            the non-overlapping grid. Negative sampling then counts every training chip.
    """

    kind: Literal["seg", "cls"]
    band_names: tuple[str, ...]
    chip_size: int = 64
    block_chips: int = 2
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)
    split_seed: int = 0
    coverage_threshold: float = 0.1
    min_valid: float = 0.5
    train_negative_ratio: float | None = None
    train_stride: int | None = None


def primary_raster(source: SceneSource) -> Path:
    """The (first) raster of a source: its grid is the labels' reference."""
    return Path(source.raster[0] if isinstance(source.raster, (tuple, list)) else source.raster)


def read_stack(
    source: SceneSource, n_bands: int, window: Window | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """``(C, H, W)`` for one raster, ``(T, C, H, W)`` for a stack of dated rasters on one grid
    (optionally only ``window``; the profile then describes the window)."""
    if not isinstance(source.raster, (tuple, list)):
        return _windowed(*read_raster(source.raster, expected_bands=n_bands, window=window), window)
    arrays, profile = [], None
    for path in source.raster:
        arr, prof = _windowed(*read_raster(path, expected_bands=n_bands, window=window), window)
        if profile is not None:
            for key in ("width", "height", "crs", "transform"):
                if prof.get(key) != profile.get(key):
                    raise DataError(
                        f"time step does not share the stack's grid: {key} {prof.get(key)} vs {profile.get(key)}",
                        path,
                    )
        profile = profile or prof
        arrays.append(arr)
    return np.stack(arrays), profile


def _windowed(
    arr: np.ndarray, profile: dict[str, Any], window: Window | None
) -> tuple[np.ndarray, dict[str, Any]]:
    if window is None:
        return arr, profile
    profile = {
        **profile,
        "transform": rasterio.windows.transform(window, profile["transform"]),
        "height": arr.shape[-2],
        "width": arr.shape[-1],
    }
    return arr, profile


def aoi_window(source: SceneSource) -> tuple[Window | None, Any]:
    """The raster window covering ``source.aoi`` (``None`` without an AOI) and the AOI
    geometries in the raster's CRS. Raises ``DataError`` when the AOI has no CRS or misses the
    raster."""
    if source.aoi is None:
        return None, None
    import geopandas as gpd

    from geoarena.eo.data.raster_io import open_raster

    path = primary_raster(source)
    aoi_path = source.aoi if isinstance(source.aoi, (str, Path)) else path
    if source.label_space != "map":
        raise DataError("an AOI needs map-space labels and a georeferenced raster", path)
    aoi = read_vector(source.aoi) if isinstance(source.aoi, (str, Path)) else source.aoi
    if not isinstance(aoi, gpd.GeoDataFrame) or aoi.crs is None:
        raise DataError("the AOI must be a vector layer with a CRS", aoi_path)
    with open_raster(path) as ds:
        if ds.crs is None:
            raise DataError("raster has no CRS; cannot place the AOI on it", path)
        aoi = aoi.to_crs(ds.crs)
        full = Window(0, 0, ds.width, ds.height)
        bounds = aoi.total_bounds if len(aoi) else np.full(4, np.nan)
        win = None
        if np.isfinite(bounds).all():  # far-off geometries project to inf/NaN
            win = rasterio.windows.from_bounds(*bounds, transform=ds.transform)
            win = win.round_offsets(op="floor").round_lengths(op="ceil")
            try:
                win = win.intersection(full)
            except rasterio.errors.WindowError:
                win = None
    if win is None or win.width < 1 or win.height < 1:
        raise DataError(
            f"the AOI (bounds {np.round(aoi.total_bounds, 3).tolist()}) does not overlap the raster {path.name}",
            aoi_path,
        )
    return win, aoi


def load_labels(source: SceneSource):
    """The source's labels as a GeoDataFrame (read from disk when given a path)."""
    import geopandas as gpd

    if isinstance(source.labels, (str, Path)):
        return read_vector(source.labels)
    if isinstance(source.labels, gpd.GeoDataFrame):
        return source.labels
    raise DataError(
        f"labels must be a vector file or a GeoDataFrame, got {type(source.labels)}",
        primary_raster(source),
    )


def align_labels(gdf, profile: dict[str, Any], source: SceneSource):
    """Labels in the raster's coordinates: reprojected to its CRS (``map``) or mapped from
    pixel space through its transform (``pixel``). Raises ``DataError`` on a CRS problem."""
    label_path = source.labels if isinstance(source.labels, (str, Path)) else primary_raster(source)
    if source.label_space == "pixel":
        return gdf, Affine.identity()
    raster_crs = profile.get("crs")
    if raster_crs is None or not profile.get("georeferenced", True):
        raise DataError(
            f"raster has no CRS but labels are in map coordinates ({gdf.crs}); cannot align them",
            primary_raster(source),
        )
    if gdf.crs is None:
        raise DataError(
            "vector labels have no CRS; cannot reproject them to the raster", label_path
        )
    if gdf.crs != raster_crs:
        gdf = gdf.to_crs(raster_crs)
    transform = profile["transform"]
    h, w = profile["height"], profile["width"]
    left, top = transform @ (0, 0)
    right, bottom = transform @ (w, h)
    minx, miny, maxx, maxy = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
    rx0, rx1 = sorted((left, right))
    ry0, ry1 = sorted((top, bottom))
    if len(gdf) and (maxx < rx0 or minx > rx1 or maxy < ry0 or miny > ry1):
        raise DataError(
            f"labels (bounds {np.round(gdf.total_bounds, 3).tolist()} in {raster_crs}) do not overlap "
            f"the raster {primary_raster(source).name} (bounds {[rx0, ry0, rx1, ry1]}): CRS mismatch?",
            label_path,
        )
    return gdf, transform


def rasterize_labels(
    gdf, transform: Affine, shape: tuple[int, int], source: SceneSource
) -> np.ndarray:
    """Burn label geometries into a ``uint8`` class mask (0 = background)."""
    if source.class_field is None:
        values = [source.burn_value] * len(gdf)
    else:
        if source.class_field not in gdf.columns:
            raise DataError(f"label attribute {source.class_field!r} not found", source.labels)
        lookup = dict(source.class_values)
        values = [lookup.get(v, 0) for v in gdf[source.class_field]]
    shapes = [(geom, int(v)) for geom, v in zip(gdf.geometry, values) if geom is not None and v > 0]
    if not shapes:
        return np.zeros(shape, dtype=np.uint8)
    return features.rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="uint8")


def load_scene(
    source: SceneSource, spec: SceneTaskSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one scene → ``(image C×H×W or T×C×H×W, mask H×W uint8, valid H×W bool)``."""
    bands = check_band_names(spec.band_names, primary_raster(source))
    window, aoi = aoi_window(source)
    image, profile = read_stack(source, len(bands), window)
    gdf, transform = align_labels(load_labels(source), profile, source)
    mask = rasterize_labels(gdf, transform, image.shape[-2:], source)
    nodata = profile.get("nodata")
    if nodata is None:
        valid = np.ones(image.shape[-2:], dtype=bool)
    elif image.ndim == 3:
        valid = (image != nodata).any(0)  # data in at least one band
    else:
        valid = (image != nodata).any(1).all(0)  # … at every date
    if aoi is not None:  # outside the AOI labels are incomplete: treat as nodata
        inside = features.rasterize(
            [(g, 1) for g in aoi.geometry if g is not None],
            out_shape=image.shape[-2:],
            transform=transform,
            fill=0,
            dtype="uint8",
        )
        valid &= inside.astype(bool)
    return image, mask, valid


def chip_scenes(sources: Sequence[SceneSource], spec: SceneTaskSpec) -> ChipArrays:
    """Cut every scene into chips and assign spatial-block splits (see module docstring)."""
    c = spec.chip_size
    images, targets, valids, rows, cols, scene_ids = [], [], [], [], [], []
    dtype = None
    dense = spec.train_stride is not None and spec.train_stride != c
    loaded = []  # the scenes again for the overlapping train chips (no second read)
    for si, source in enumerate(sources):
        image, mask, valid = load_scene(source, spec)
        if dense:
            loaded.append((image, mask, valid))
        dtype = dtype or image.dtype
        h, w = image.shape[-2:]
        for r in range(0, h - c + 1, c):
            for q in range(0, w - c + 1, c):
                v = valid[r : r + c, q : q + c]
                if v.mean() < spec.min_valid:
                    continue
                m = mask[r : r + c, q : q + c]
                images.append(image[..., r : r + c, q : q + c])
                valids.append(v)
                if spec.kind == "seg":
                    targets.append(np.where(v, m, IGNORE_INDEX).astype(np.uint8))
                else:
                    cover = float((m[v] > 0).mean()) if v.any() else 0.0
                    targets.append(int(cover >= spec.coverage_threshold))
                rows.append(r // c)
                cols.append(q // c)
                scene_ids.append(si)
    if not images:
        raise DataError(
            f"no chip of {c}×{c} px with ≥ {spec.min_valid:.0%} valid pixels", sources[0].raster
        )
    groups = block_ids(np.array(rows), np.array(cols), np.array(scene_ids), spec.block_chips)
    split = assign_blocks(groups, spec.fractions, spec.split_seed)
    if dense:
        extra = _overlapping_train_chips(loaded, spec, rows, cols, scene_ids, split)
        for img, tgt, v, r, q, si in extra:
            images.append(img)
            targets.append(tgt)
            valids.append(v)
            rows.append(r)
            cols.append(q)
            scene_ids.append(si)
        # an extra chip belongs to the block of its top-left grid cell (always a train block)
        groups = block_ids(np.array(rows), np.array(cols), np.array(scene_ids), spec.block_chips)
        split = np.concatenate([split, np.zeros(len(extra), dtype=split.dtype)])
    if spec.kind == "seg" and spec.train_negative_ratio is not None:
        split = _drop_train_negatives(split, targets, spec.train_negative_ratio, spec.split_seed)
    valid_arr = np.stack(valids)
    return ChipArrays(
        images=np.stack(images).astype(dtype),
        targets=np.array(targets, dtype=np.uint8 if spec.kind == "seg" else np.int64),
        split=split,
        groups=groups,
        valid=None if valid_arr.all() else valid_arr,
        meta={"scene": np.array(scene_ids), "row": np.array(rows), "col": np.array(cols)},
    )


def _overlapping_train_chips(
    scenes: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    spec: SceneTaskSpec,
    rows: list[int],
    cols: list[int],
    scene_ids: list[int],
    split: np.ndarray,
) -> list[tuple[Any, Any, np.ndarray, int, int, int]]:
    """Chips of the loaded ``(image, mask, valid)`` scenes every ``spec.train_stride`` px that
    are off the base grid and lie wholly on grid cells of the train split: ``(image, target, valid, row cell, col cell, scene)`` each, the
    cell being the top-left grid cell it starts in."""
    c, step = spec.chip_size, int(spec.train_stride or spec.chip_size)
    if not 0 < step < c:
        raise DataError(f"train_stride {step}: must lie in 1..{c - 1} (the chip size is {c})")
    is_train = {
        (si, r, q): k == 0 for si, r, q, k in zip(scene_ids, rows, cols, split, strict=True)
    }
    out = []
    for si, (image, mask, valid) in enumerate(scenes):
        h, w = image.shape[-2:]
        for r in range(0, h - c + 1, step):
            for q in range(0, w - c + 1, step):
                if r % c == 0 and q % c == 0:
                    continue  # a base grid chip
                cells = [
                    (si, rr, qq)
                    for rr in range(r // c, (r + c - 1) // c + 1)
                    for qq in range(q // c, (q + c - 1) // c + 1)
                ]
                if not all(is_train.get(cell, False) for cell in cells):
                    continue
                v = valid[r : r + c, q : q + c]
                if v.mean() < spec.min_valid:
                    continue
                m = mask[r : r + c, q : q + c]
                if spec.kind == "seg":
                    tgt: Any = np.where(v, m, IGNORE_INDEX).astype(np.uint8)
                else:
                    cover = float((m[v] > 0).mean()) if v.any() else 0.0
                    tgt = int(cover >= spec.coverage_threshold)
                out.append((image[..., r : r + c, q : q + c], tgt, v, r // c, q // c, si))
    return out


def _drop_train_negatives(
    split: np.ndarray, masks: list[np.ndarray], ratio: float, seed: int
) -> np.ndarray:
    """Mark surplus background-only train chips as unused (split ``-1``), seeded."""
    split = split.copy()
    fg = np.array([bool(((m > 0) & (m != IGNORE_INDEX)).any()) for m in masks])
    train = split == 0
    negatives = np.flatnonzero(train & ~fg)
    keep = round(ratio * int((train & fg).sum()))
    if keep < len(negatives):
        drop = np.random.default_rng(seed).choice(
            negatives, size=len(negatives) - keep, replace=False
        )
        split[drop] = -1
    return split
