"""Locating files inside fetched sample packages (``geoarena.core.samples``)."""

from __future__ import annotations

from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.core.samples import SampleSource, declare_sample

# the registry archives the embedded EO tasks read (fetched by tools/fetch_samples.py)
SOLARIS = declare_sample(
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
DEEPFOREST = declare_sample(
    SampleSource(
        "deepforest-2.1.0",
        "pypi-wheel",
        "deepforest",
        "2.1.0",
        "deepforest-2.1.0-py3-none-any.whl",
        "8c2798d8e9be7f0004b194fe207b76c1d9fff6e711b3db67b9508dcd5d00ae54",
        "NEON data CC0; code MIT",
        "NEON 10 cm RGB (OSBS_029.tif EPSG:32617, Yellowstone crops, SOAP_061) + tree-crown boxes",
    )
)


def sample_file(package: str, relative: str) -> Path:
    """Path of ``relative`` (a file name or a tail like ``solaris/data/x.tif``) inside the
    extracted registry package ``package`` (e.g. ``solaris-0.4.0``), fetched on first use by
    ``geoarena.core.samples.sample_path`` (sha256-checked, cached)."""
    from geoarena.core.samples import sample_path

    root = Path(sample_path(package))
    direct = root / relative
    if direct.exists():
        return direct
    name = Path(relative).name
    hits = sorted(p for p in root.rglob(name) if p.as_posix().endswith(relative))
    if not hits:
        raise DataError(f"{relative!r} not found in sample package {package!r}", root)
    return hits[0]
