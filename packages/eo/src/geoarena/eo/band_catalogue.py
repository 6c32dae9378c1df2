"""The band names data declares for its channels (by name, never by position), their central
wavelengths, and the generic roles spectral indices look up (``red``, ``nir``…). Sensor tables
and name resolution are in ``geoarena.eo.bands``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from geoarena.core.errors import DataError

# --- data band-name catalogue --------------------------------------------------------------
# Canonical names data declares for its channels (by name, never by position); unknown names
# are refused with a ``DataError``.

#: name → central wavelength in micrometres (0.0 for non-optical channels such as SAR or DEM).
BAND_WAVELENGTHS: dict[str, float] = {
    # generic optical names (aerial RGB/NIR, Landsat/PlanetScope by role)
    "coastal": 0.443,
    "blue": 0.490,
    "green": 0.560,
    "red": 0.665,
    "rededge1": 0.705,
    "rededge2": 0.740,
    "rededge3": 0.783,
    "nir": 0.842,
    "nir08": 0.865,
    "water_vapour": 0.945,
    "cirrus": 1.375,
    "swir1": 1.610,
    "swir2": 2.190,
    "pan": 0.640,
    "tir": 10.9,
    # Sentinel-2 MSI
    "B01": 0.443,
    "B02": 0.490,
    "B03": 0.560,
    "B04": 0.665,
    "B05": 0.705,
    "B06": 0.740,
    "B07": 0.783,
    "B08": 0.842,
    "B8A": 0.865,
    "B09": 0.945,
    "B10": 1.375,
    "B11": 1.610,
    "B12": 2.190,
    # Landsat-5 TM / Landsat-7 ETM+ reflective bands
    "TM1": 0.485,
    "TM2": 0.560,
    "TM3": 0.660,
    "TM4": 0.830,
    "TM5": 1.650,
    "TM7": 2.215,
    "TM6": 11.45,
    # SAR and ancillary channels
    "VV": 0.0,
    "VH": 0.0,
    "HH": 0.0,
    "HV": 0.0,
    "dem": 0.0,
    "elevation": 0.0,
    "chm": 0.0,
}

#: generic role → the equivalent names in each catalogue, for spectral indices and adaptation.
BAND_ALIASES: dict[str, tuple[str, ...]] = {
    "blue": ("blue", "B02", "TM1"),
    "green": ("green", "B03", "TM2"),
    "red": ("red", "B04", "TM3"),
    "nir": ("nir", "B08", "B8A", "nir08", "TM4"),
    "swir1": ("swir1", "B11", "TM5"),
    "swir2": ("swir2", "B12", "TM7"),
}


def check_band_names(bands: Iterable[str], path: str | Path | None = None) -> tuple[str, ...]:
    """Return ``bands`` as a tuple, or raise ``DataError`` listing names not in the catalogue."""
    bands = tuple(bands)
    unknown = [b for b in bands if b not in BAND_WAVELENGTHS]
    if unknown:
        raise DataError(
            f"unknown band name(s) {unknown}; known names: {', '.join(sorted(BAND_WAVELENGTHS))}",
            path,
        )
    if len(set(bands)) != len(bands):
        raise DataError(f"duplicate band names in {list(bands)}", path)
    return bands


def band_index(bands: tuple[str, ...], role: str) -> int | None:
    """Index of the band playing ``role`` (``red``, ``nir``…) in ``bands``, or ``None``."""
    for alias in BAND_ALIASES.get(role, (role,)):
        if alias in bands:
            return bands.index(alias)
    return None
