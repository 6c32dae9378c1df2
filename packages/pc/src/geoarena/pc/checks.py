"""LAS/LAZ inputs checked from their header before any training or tiling starts.

A truncated LAS opens fine and fails deep in numpy ("buffer size must be a multiple of element
size"); a truncated LAZ fails in lazrs ("failed to fill whole buffer") — possibly after a model
was trained. ``check_las`` reads the header, compares the declared point records with the file
size (LAS) or the chunk table offset (LAZ), and decodes the first and last points. LAZ stores no
checksum and damage inside a middle chunk leaves header, chunk table and both ends intact, so a
compressed file's points are also decoded once, chunk by chunk (bounded memory). Measured (median,
shared 2-core machine): the 37,805-point IGN LiDAR HD sample 27 → 41 ms, a 2-million-point LAZ
23 → 282 ms.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoarena.core.inputs import bad_input, check_input_file

_LAS_SIGNATURE = b"LASF"


@dataclass(frozen=True)
class LasInfo:
    """Header facts of a checked LAS/LAZ file."""

    path: Path
    point_count: int
    point_format: int
    compressed: bool
    crs: Any
    dimensions: tuple[str, ...]


def check_las(
    path: str | Path,
    what: str = "input",
    min_points: int = 1,
    require: tuple[str, ...] = (),
    need_crs: bool = False,
    decode: bool = True,
) -> LasInfo:
    """Check ``path`` is a complete LAS/LAZ file with at least ``min_points`` points.

    Args:
        what: the argument that named the file (for the message).
        require: point dimensions that must exist (``classification`` for training data).
        need_crs: the header must carry a CRS (outputs are written in it).
        decode: decode every point of a compressed file (catches damage mid-file).
    """
    import laspy

    p = check_input_file(path, what, min_bytes=4)
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head != _LAS_SIGNATURE:
        raise bad_input(what, f"not a LAS/LAZ file (starts with {head!r}, expected b'LASF')", p)
    try:
        reader = laspy.open(p)
    except Exception as exc:  # laspy raises its own, struct and OS errors for short headers
        raise bad_input(what, f"unreadable LAS header ({_reason(exc)})", p) from None
    with reader:
        header = reader.header
        n = int(header.point_count)
        dims = tuple(header.point_format.dimension_names)
        compressed = bool(header.point_format.id >= 128 or p.suffix.lower() == ".laz") and (
            reader.header.are_points_compressed
        )
        if n < min_points:
            raise bad_input(what, f"holds {n} points, at least {min_points} needed", p)
        missing = [d for d in require if d not in dims]
        if missing:
            raise bad_input(what, f"no {', '.join(missing)} dimension in point format", p)
        _check_size(p, header, n, compressed, what)
        try:
            crs = header.parse_crs()
        except Exception as exc:  # pyproj and laspy errors for malformed VLRs
            raise bad_input(what, f"unreadable CRS in the header ({_reason(exc)})", p) from None
        if need_crs and crs is None:
            raise bad_input(what, "no CRS in the header", p)
        try:
            reader.read_points(1)
            if n > 1:
                reader.seek(n - 1)
                last = reader.read_points(1)
                if len(last) != 1:
                    raise ValueError("the last point record is missing")
        except Exception as exc:  # lazrs/numpy raise for truncated or corrupt point data
            raise bad_input(what, f"corrupt point data ({_reason(exc)})", p) from None
        if compressed and decode:
            _decode_all(reader, n, what, p)
    return LasInfo(p, n, header.point_format.id, compressed, crs, dims)


def _check_size(p: Path, header, n: int, compressed: bool, what: str) -> None:
    size = p.stat().st_size
    start = int(header.offset_to_point_data)
    if start > size:
        raise bad_input(what, f"truncated: point data starts at byte {start}, file has {size}", p)
    if not compressed:
        need = start + n * int(header.point_format.size)
        if need > size:
            raise bad_input(
                what, f"truncated: {n} points need {need} bytes, the file has {size}", p
            )
        return
    with open(p, "rb") as fh:  # LAZ: the chunk table offset is the first 8 bytes of point data
        fh.seek(start)
        raw = fh.read(8)
    if len(raw) < 8:
        raise bad_input(what, "truncated: no LAZ chunk table offset", p)
    (table,) = struct.unpack("<q", raw)
    if table != -1 and not start < table <= size:
        raise bad_input(what, f"truncated: LAZ chunk table at byte {table}, the file has {size}", p)


#: points decoded per step of the full LAZ check (≈ 20 MB of records for point format 8)
DECODE_CHUNK = 500_000


def _decode_all(reader, n: int, what: str, p: Path) -> None:
    """Decode every point record once; damage mid-file otherwise surfaces only when the points
    are read (lazrs "failed to fill whole buffer"), possibly after a model was trained."""
    done = 0
    try:
        reader.seek(0)
        for points in reader.chunk_iterator(DECODE_CHUNK):
            done += len(points)
    except Exception as exc:  # lazrs raises its LazrsError on damaged chunks
        stop = min(done + DECODE_CHUNK, n)
        raise bad_input(
            what, f"corrupt point data in points {done}-{stop} of {n} ({_reason(exc)})", p
        ) from None
    if done != n:
        raise bad_input(what, f"corrupt point data: {done} of {n} points decoded", p)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
