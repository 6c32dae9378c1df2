"""Raster inputs checked before any model loads: a readable GeoTIFF (not a renamed PNG), not
truncated, with a CRS and transform (unless the user allows pixel coordinates), and the bands a
model asks for. Used by scene inference (``tools/predict.py``) and detection (``tools/detect.py``);
rasterio is imported inside the functions because only those packages depend on it.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoarena.core.inputs import bad_input, check_input_file

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"PK\x03\x04": "a zip archive",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
}
_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@dataclass(frozen=True)
class RasterInfo:
    """What the checks learnt about a raster (so callers need not open it again)."""

    path: Path
    count: int
    height: int
    width: int
    dtype: str
    crs: Any
    transform: Any
    nodata: float | None

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None


def quiet_gdal() -> None:
    """GDAL's own error lines reach stderr through rasterio's loggers; our one-line message says
    the same, so keep them out of the tool's output."""
    for name in ("rasterio", "rasterio._env", "rasterio._err", "rasterio._base", "rasterio._io"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def check_raster(
    path: str | Path,
    what: str = "--input",
    allow_no_crs: bool = False,
    bands: list[int] | tuple[int, ...] | None = None,
    count: int | None = None,
    min_size: int = 1,
    offer_allow_no_crs: bool = True,
) -> RasterInfo:
    """Open ``path`` and check it is a complete, geo-referenced raster with ``bands``.

    Args:
        what: the option that named the file (for the message).
        allow_no_crs: accept a raster without CRS/transform (outputs stay in pixel space).
        bands: 1-based band indexes the caller will read; each must exist.
        count: exact band count expected (when the model needs all bands).
        min_size: smallest height and width accepted (e.g. the model's window).
        offer_allow_no_crs: the tool has ``--allow-no-crs`` (the message suggests it).
    """
    import rasterio
    from affine import Affine
    from rasterio.errors import NotGeoreferencedWarning

    quiet_gdal()
    offer = offer_allow_no_crs
    p = check_input_file(path, what, min_bytes=8)
    with open(p, "rb") as fh:
        head = fh.read(8)
    kind = next((name for magic, name in _MAGIC.items() if head.startswith(magic)), None)
    if p.suffix.lower() in (".tif", ".tiff") and not head.startswith(_TIFF):
        raise bad_input(what, f"not a GeoTIFF ({kind or 'unknown bytes'})", p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(p)
    except Exception as exc:  # RasterioIOError and CPLE_* for corrupt headers
        raise bad_input(what, f"not a readable raster ({_gdal_reason(exc)})", p) from None
    with src:
        info = RasterInfo(
            p, src.count, src.height, src.width, src.dtypes[0], src.crs, src.transform, src.nodata
        )
        if info.crs is None or info.transform == Affine.identity():
            if not allow_no_crs:
                hint = " — pass --allow-no-crs to work in pixel coordinates" if offer else ""
                raise bad_input(what, f"no CRS or geotransform (not geo-referenced){hint}", p)
            info = RasterInfo(**{**info.__dict__, "crs": None})
        for b in bands or ():
            if not 1 <= b <= src.count:
                raise bad_input(what, f"band {b} requested, the raster has {src.count}", p)
        if count is not None and src.count != count:
            raise bad_input(what, f"expected {count} bands, the raster has {src.count}", p)
        if min(src.height, src.width) < min_size:
            raise bad_input(
                what, f"raster {src.height}×{src.width} is smaller than {min_size} px", p
            )
        _check_complete(src, p, what, list(bands or range(1, src.count + 1)))
    return info


def _gdal_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text.replace("Read failed. See previous exception for details.", "").strip() or (
        type(exc).__name__
    )


def _check_complete(src, path: Path, what: str, bands: list[int]) -> None:
    """A truncated TIFF opens fine and fails on the first missing block, possibly hours into a
    scene: compare the last block's end with the file size, then read the first and last block."""
    size = path.stat().st_size
    rows = -(-src.height // src.block_shapes[0][0])
    cols = -(-src.width // src.block_shapes[0][1])
    for b in bands:
        for r, c in ((0, 0), (rows - 1, cols - 1)):
            off = src.get_tag_item(f"BLOCK_OFFSET_{c}_{r}", "TIFF", bidx=b)
            n = src.get_tag_item(f"BLOCK_SIZE_{c}_{r}", "TIFF", bidx=b)
            if off and n and int(off) + int(n) > size:
                raise bad_input(
                    what,
                    f"truncated raster (block {r},{c} of band {b} ends at byte "
                    f"{int(off) + int(n)}, the file has {size})",
                    path,
                )
    from rasterio.windows import Window

    bh, bw = src.block_shapes[0]
    for r0, c0 in ((0, 0), (max(src.height - bh, 0), max(src.width - bw, 0))):
        try:
            src.read(bands, window=Window(c0, r0, min(bw, src.width), min(bh, src.height)))
        except Exception as exc:
            raise bad_input(what, f"corrupt raster data ({_gdal_reason(exc)})", path) from None
