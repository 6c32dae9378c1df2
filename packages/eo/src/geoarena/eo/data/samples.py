"""Locating files inside fetched sample packages (``geoarena.core.samples``)."""

from __future__ import annotations

from pathlib import Path

from geoarena.core.errors import DataError


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
