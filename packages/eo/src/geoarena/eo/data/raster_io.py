"""Opening rasters and vectors with errors a user can act on (file + problem), never a bare
GDAL traceback."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from geoarena.core.errors import DataError


def open_raster(path: str | Path) -> rasterio.DatasetReader:
    """Open ``path`` with rasterio; a missing or unreadable file raises ``DataError`` naming it."""
    path = Path(path)
    if not path.exists():
        raise DataError("raster file does not exist", path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except RasterioIOError as exc:
        raise DataError(f"not a readable raster ({exc})", path) from exc


def read_raster(
    path: str | Path,
    expected_bands: int | None = None,
    window: Window | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Read all bands of ``path`` (optionally a window) as ``(C, H, W)`` plus its profile.

    Raises ``DataError`` for a corrupt file (GDAL read error), or a band count other than
    ``expected_bands``.
    """
    path = Path(path)
    with open_raster(path) as src:
        if expected_bands is not None and src.count != expected_bands:
            raise DataError(f"expected {expected_bands} bands, found {src.count}", path)
        try:
            arr = src.read(window=window)
        except RasterioIOError as exc:
            raise DataError(f"corrupt raster, reading failed ({exc})", path) from exc
        profile = dict(src.profile)
        profile["descriptions"] = src.descriptions
        profile["georeferenced"] = src.crs is not None
    return arr, profile


def read_vector(path: str | Path):
    """Read a vector file (GeoJSON, GeoPackage, Shapefile) as a GeoDataFrame; ``DataError`` if
    it is missing, unreadable or has no CRS."""
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise DataError("vector label file does not exist", path)
    if path.stat().st_size == 0:
        raise DataError("vector label file is empty", path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types for malformed files
        raise DataError(f"not a readable vector file ({type(exc).__name__}: {exc})", path) from exc
    return gdf
