"""``check_las`` catches a LAZ damaged in the middle — header, chunk table and both ends intact —
before any model work, with one line naming the file (not lazrs' "failed to fill whole buffer"
when the points are read later)."""

from __future__ import annotations

from pathlib import Path

import laspy
import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.pc.checks import check_las


@pytest.fixture(scope="module")
def multi_chunk_laz(tmp_path_factory) -> Path:
    """120,000 points: three LAZ chunks of lazrs' default 50,000 points."""
    rng = np.random.default_rng(0)
    n = 120_000
    header = laspy.LasHeader(point_format=3, version="1.4")
    header.offsets, header.scales = [600000.0, 6800000.0, 0.0], [0.01, 0.01, 0.01]
    las = laspy.LasData(header)
    las.x, las.y = 600000 + rng.uniform(0, 60, n), 6800000 + rng.uniform(0, 60, n)
    las.z = rng.uniform(0, 20, n)
    las.classification = rng.choice([2, 5, 6], n).astype(np.uint8)
    path = tmp_path_factory.mktemp("laz") / "tile.laz"
    las.write(path)
    return path


def _damaged(src: Path, dst: Path, how: str) -> Path:
    data = bytearray(src.read_bytes())
    mid = len(data) // 2  # inside the second chunk
    if how == "zeros":
        data[mid : mid + 4096] = bytes(4096)
    elif how == "random":
        data[mid : mid + 4096] = np.random.default_rng(1).integers(0, 256, 4096, np.uint8).tobytes()
    else:  # one flipped byte
        data[mid] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def test_intact_laz_passes(multi_chunk_laz):
    info = check_las(multi_chunk_laz, "--input")
    assert info.compressed and info.point_count == 120_000


@pytest.mark.parametrize("how", ["zeros", "random", "flipped-byte"])
def test_laz_damaged_mid_file_is_one_line_naming_the_file(multi_chunk_laz, tmp_path, how):
    bad = _damaged(multi_chunk_laz, tmp_path / f"{how}.laz", how)
    assert bad.stat().st_size == multi_chunk_laz.stat().st_size  # size and chunk table intact
    check_las(bad, "--input", decode=False)  # the header-only check cannot see it
    with pytest.raises(Exception, match="failed to fill whole buffer"):
        laspy.read(bad)  # what a reader meets later without the full check
    with pytest.raises(DataError) as err:
        check_las(bad, "--input")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"--input {bad}: corrupt point data in points"), msg
