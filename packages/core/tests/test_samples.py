import zipfile

import pytest

from geoarena.core.errors import DataError
from geoarena.core.registry import SAMPLES
from geoarena.core.samples import (
    SampleSource,
    missing_files,
    sample_path,
    sample_source,
    sha256_file,
)


def test_every_source_is_pinned():
    assert {"deepforest-2.1.0", "solaris-0.4.0", "laspy-2.7.0-sdist"} <= set(SAMPLES.names())
    for s in map(sample_source, SAMPLES.names()):
        assert (
            len(s.sha256) == 64 and s.version and s.filename.endswith((".whl", ".tar.gz", ".deb"))
        )


def test_missing_archive_names_file_and_place(tmp_path, monkeypatch):
    monkeypatch.delenv("GEOARENA_SAMPLES_DIR", raising=False)
    with pytest.raises(
        DataError, match=r"solaris-0\.4\.0-py3-none-any\.whl .*put it in .*archives"
    ):
        sample_path("solaris-0.4.0", cache_dir=tmp_path, fetch=False)


def test_tampered_archive_is_refused(tmp_path, monkeypatch):
    drop = tmp_path / "drop"
    drop.mkdir()
    fake = drop / sample_source("deepforest-2.1.0").filename
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("deepforest/data/OSBS_029.tif", b"not the real file")
    monkeypatch.setenv("GEOARENA_SAMPLES_DIR", str(drop))
    with pytest.raises(DataError, match="sha256 mismatch") as err:
        sample_path("deepforest-2.1.0", cache_dir=tmp_path / "cache", fetch=False)
    assert err.value.path == fake


def test_verified_archive_is_extracted_once(tmp_path, monkeypatch):
    drop = tmp_path / "drop"
    drop.mkdir()
    archive = drop / "tiny-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("tiny/data/a.txt", "hello")
    src = SampleSource(
        "tiny-1.0", "pypi-wheel", "tiny", "1.0", archive.name, sha256_file(archive), "MIT", "test"
    )
    SAMPLES.names()  # load the plugins first, then register on a copy undone after the test
    monkeypatch.setattr(SAMPLES, "_entries", dict(SAMPLES._entries))
    SAMPLES.add(src.name, src)
    monkeypatch.setenv("GEOARENA_SAMPLES_DIR", str(drop))
    out = sample_path("tiny-1.0", cache_dir=tmp_path / "cache", fetch=False)
    assert (out / "tiny" / "data" / "a.txt").read_text() == "hello"
    archive.unlink()  # a second call must not need the archive any more
    assert sample_path("tiny-1.0", cache_dir=tmp_path / "cache", fetch=False) == out


def test_unknown_source():
    with pytest.raises(DataError, match="unknown sample source 'nope'"):
        sample_path("nope")


def test_deleted_files_are_noticed_and_restored(tmp_path, monkeypatch):
    """A marker alone proves nothing: the manifest lists every extracted file and its size."""
    drop = tmp_path / "drop"
    drop.mkdir()
    archive = drop / "tiny-2.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("tiny/data/a.txt", "hello")
        z.writestr("tiny/data/b.txt", "world")
    src = SampleSource(
        "tiny-2.0", "pypi-wheel", "tiny", "2.0", archive.name, sha256_file(archive), "MIT", "test"
    )
    SAMPLES.names()
    monkeypatch.setattr(SAMPLES, "_entries", dict(SAMPLES._entries))
    SAMPLES.add(src.name, src)
    monkeypatch.setenv("GEOARENA_SAMPLES_DIR", str(drop))
    out = sample_path("tiny-2.0", cache_dir=tmp_path / "cache", fetch=False)
    assert missing_files(out, src.sha256) == []
    (out / "tiny" / "data" / "a.txt").unlink()
    (out / "tiny" / "data" / "b.txt").write_text("truncat")
    assert missing_files(out, src.sha256) == ["tiny/data/a.txt", "tiny/data/b.txt"]
    assert sample_path("tiny-2.0", cache_dir=tmp_path / "cache", fetch=False) == out
    assert (out / "tiny" / "data" / "a.txt").read_text() == "hello"  # re-extracted
    (out / "tiny" / "data" / "a.txt").unlink()
    archive.unlink()  # without the archive the folder is not "ok"
    with pytest.raises(DataError, match="is not available"):
        sample_path("tiny-2.0", cache_dir=tmp_path / "cache", fetch=False)
