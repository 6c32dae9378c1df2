"""SpaceNet-4 Atlanta buildings (solaris 0.4.0 wheel data) as axis-aligned boxes.

The 900×900 px, 0.5 m GeoTIFF (EPSG:32616, one 16-bit band) and its 43 building footprints
(GeoJSON) are real; boxes come from the footprints through ``georef.vector_to_pixel_boxes``
(the GIS-layer → training-box path). The 16-bit band is stretched to 8 bit (2–98 %
percentiles) and repeated to three channels for RGB detectors. Spatial block split as for NEON.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.samples import SampleSource, declare_sample
from geoarena.det.chips import Chip, assign_blocks, block_grid, make_chips
from geoarena.det.georef import vector_to_pixel_boxes

_ARCHIVE = declare_sample(
    SampleSource(
        "solaris-0.4.0",
        "pypi-wheel",
        "solaris",
        "0.4.0",
        "solaris-0.4.0-py3-none-any.whl",
        "09445946221410ebb2ae807580cf7dea9fe3c9aa3bf045947b61a162d2d3a8df",
        "SpaceNet/RarePlanes CC BY-SA 4.0; code Apache-2.0",
        "SpaceNet-4 Atlanta GeoTIFF + building polygons, Las Vegas roads, Landsat-5 Nebraska pivots",
        old_pip=True,
    )
)
SOURCE = _ARCHIVE.name
CLASS_NAMES = ("building",)
SPLIT_FRACTIONS = {"train": 0.6, "val": 0.15, "test": 0.25}
SPLIT_SEED = 0


def data_dir(cache_dir: Path | None = None) -> Path:
    from geoarena.core.samples import sample_path

    return sample_path(SOURCE, cache_dir) / "solaris" / "data"


def stretch_to_uint8(band: np.ndarray, lo_pct: float = 2, hi_pct: float = 98) -> np.ndarray:
    """Percentile stretch of one band to 0–255 (zeros, the nodata fill, are ignored)."""
    valid = band[band > 0]
    if valid.size == 0:
        return np.zeros(band.shape, dtype=np.uint8)
    lo, hi = np.percentile(valid, [lo_pct, hi_pct])
    scaled = (band.astype(np.float64) - lo) / max(hi - lo, 1e-9)
    return (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)


def load_scene(cache_dir: Path | None = None) -> tuple[np.ndarray, dict[str, np.ndarray], Path]:
    """(RGB uint8 image, {"boxes", "labels"}, raster path)."""
    import rasterio
    from rasterio.errors import RasterioError

    d = data_dir(cache_dir)
    tif = d / "sample_geotiff.tif"
    try:
        with rasterio.open(tif) as ds:
            band = ds.read(1)
            transform, crs, w, h = ds.transform, ds.crs, ds.width, ds.height
    except RasterioError as exc:
        raise DataError(f"cannot read SpaceNet raster ({exc})", tif) from exc
    labels = vector_to_pixel_boxes(
        d / "geotiff_labels.geojson", transform, crs, width=w, height=h, min_visible=0.5
    )
    rgb = np.repeat(stretch_to_uint8(band)[..., None], 3, axis=2)
    return rgb, labels, tif


def build_chips(
    cache_dir: Path | None = None, chip: int = 224, block: int = 300
) -> dict[str, list[Chip]]:
    image, lab, _ = load_scene(cache_dir)
    h, w = image.shape[:2]
    regions = assign_blocks(block_grid(w, h, block), SPLIT_FRACTIONS, seed=SPLIT_SEED)
    return {
        split: make_chips(
            "AOI_Atlanta",
            image,
            lab["boxes"],
            lab["labels"],
            blocks,
            chip,
            overlap=0,
            min_visible=0.5,
        )
        for split, blocks in regions.items()
    }
