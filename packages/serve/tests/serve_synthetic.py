"""Synthetic scenes for the serving tests, written with rasterio (GeoTIFF and COG drivers).

A 256 × 256 scene at 0.5 m in UTM 16N (EPSG:32616, Atlanta) and its class map with class 1 in
the north-east quadrant only: where the overlay must be coloured is known exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

CRS = "EPSG:32616"
SIZE = 256
GSD = 0.5
ORIGIN = (741_000.0, 3_737_000.0)  # west, north (metres)
TRANSFORM = from_origin(ORIGIN[0], ORIGIN[1], GSD, GSD)


def quadrant_classes() -> np.ndarray:
    """Class 1 in the north-east quadrant (top rows, right columns), 0 elsewhere."""
    cls = np.zeros((SIZE, SIZE), np.uint8)
    cls[: SIZE // 2, SIZE // 2 :] = 1
    return cls


def write_scene(path: Path, bands: int = 3) -> Path:
    """Grey gradient imagery (uint8, never red) with the quadrant grid's geo-referencing."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    img = (60 + (xx + yy) * 100 // (2 * SIZE)).astype(np.uint8)
    data = np.repeat(img[None], bands, axis=0)
    profile = dict(
        driver="GTiff",
        width=SIZE,
        height=SIZE,
        count=bands,
        dtype="uint8",
        crs=CRS,
        transform=TRANSFORM,
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def write_class_cog(path: Path) -> Path:
    """The quadrant class map as a COG (GDAL's COG driver), as tools/predict.py writes it."""
    profile = dict(
        driver="COG",
        width=SIZE,
        height=SIZE,
        count=1,
        dtype="uint8",
        crs=CRS,
        transform=TRANSFORM,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(quadrant_classes()[None])
    return path
