"""Malformed inputs for the tool fuzz suite, written with the formats' own writers (rasterio,
laspy, torch, pandas) and then damaged the way users' files get damaged: truncated, renamed,
emptied, re-encoded, or replaced by something else entirely.

    python tests/fuzz_inputs.py OUT_DIR     # writes every file and prints their names
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import zipfile
from pathlib import Path

import numpy as np

UTM = "EPSG:32633"


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tif(path: Path, data: np.ndarray, crs: str | None = UTM, nodata=None) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    c, h, w = data.shape
    geo = {"crs": crs, "transform": from_origin(500000.0, 4100000.0, 0.5, 0.5)} if crs else {}
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=c,
        dtype=data.dtype,
        tiled=True,
        blockxsize=128,
        blockysize=128,
        nodata=nodata,
        **geo,
    ) as dst:
        dst.write(data)
    return path


def _las(path: Path, n: int, seed: int = 0) -> Path:
    import laspy

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.4")
    header.offsets = [600000.0, 6800000.0, 0.0]
    header.scales = [0.01, 0.01, 0.01]
    las = laspy.LasData(header)
    if n:
        las.x = 600000 + rng.uniform(0, 60, n)
        las.y = 6800000 + rng.uniform(0, 60, n)
        las.z = rng.uniform(0, 20, n)
        las.classification = rng.choice([2, 5, 6], n).astype(np.uint8)
    las.write(path)
    return path


def _cut(src: Path, dst: Path, keep: float | int) -> Path:
    data = src.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep
    dst.write_bytes(data[:n])
    return dst


def _damage_middle(src: Path, dst: Path) -> Path:
    """Zero 4 KB in the middle of ``src``: header, size and LAZ chunk table stay intact."""
    data = bytearray(src.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4096] = bytes(4096)
    dst.write_bytes(bytes(data))
    return dst


def write_all(out: Path) -> dict[str, Path]:
    """Every fuzz input in ``out``; returns name → path."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    f: dict[str, Path] = {}
    rgb = rng.integers(0, 255, (3, 300, 300), dtype=np.uint8)
    f["good_tif"] = _tif(out / "good.tif", rgb)
    f["one_band_tif"] = _tif(out / "one_band.tif", rgb[:1])
    f["nocrs_tif"] = _tif(out / "nocrs.tif", rgb, crs=None)
    f["allnan_tif"] = _tif(out / "allnan.tif", np.full((3, 64, 64), np.nan, np.float32))
    f["trunc_tif"] = _cut(f["good_tif"], out / "trunc.tif", 0.5)
    f["trunc_head_tif"] = _cut(f["good_tif"], out / "trunc_head.tif", 200)
    f["magic_only_tif"] = out / "magic_only.tif"
    f["magic_only_tif"].write_bytes(b"II*\x00" + rng.integers(0, 255, 4000, np.uint8).tobytes())
    import rasterio

    png = out / "image.png"
    with rasterio.open(png, "w", driver="PNG", width=64, height=64, count=3, dtype="uint8") as d:
        d.write(rgb[:, :64, :64])
    f["png_tif"] = out / "png_renamed.tif"
    shutil.copy(png, f["png_tif"])
    f["empty_tif"] = out / "empty.tif"
    f["empty_tif"].write_bytes(b"")
    f["text_tif"] = out / "text.tif"
    f["text_tif"].write_text("this is not an image\n")
    f["big_text_tif"] = out / "big_text.tif"
    f["big_text"] = out / "big.txt"
    big = ("lorem ipsum dolor sit amet " * 40 + "\n").encode() * 4900  # ≈ 5.3 MB
    f["big_text"].write_bytes(big)
    f["big_text_tif"].write_bytes(big)

    f["good_las"] = _las(out / "good.las", 2000)
    f["good_laz"] = _las(out / "good.laz", 2000)
    f["zero_las"] = _las(out / "zero.las", 0)
    f["trunc_las"] = _cut(f["good_las"], out / "trunc.las", 0.5)
    f["odd_las"] = _cut(f["good_las"], out / "odd.las", len(f["good_las"].read_bytes()) - 3)
    f["trunc_laz"] = _cut(f["good_laz"], out / "trunc.laz", 0.6)
    f["head_laz"] = _cut(f["good_laz"], out / "head.laz", 300)
    # 120,000 points = three LAZ chunks; the damage sits in the second one
    f["mid_corrupt_laz"] = _damage_middle(_las(out / "chunks.laz", 120_000), out / "mid.laz")
    f["tiny_las"] = _cut(f["good_las"], out / "tiny.las", 50)
    f["csv_las"] = out / "points.las"
    f["csv_las"].write_text("x,y,z\n1,2,3\n")
    f["empty_las"] = out / "empty.las"
    f["empty_las"].write_bytes(b"")
    f["tif_las"] = out / "raster.las"
    shutil.copy(f["good_tif"], f["tif_las"])

    import torch

    class _Trap:
        def __reduce__(self):
            return (Path.touch, (out / "PWNED",))

    f["evil_pt"] = out / "evil.pt"
    torch.save({"model": _Trap(), "train_args": {}}, f["evil_pt"])
    f["empty_pt"] = out / "empty.pt"
    f["empty_pt"].write_bytes(b"")
    f["text_pt"] = out / "text.pt"
    f["text_pt"].write_text("weights\n" * 10)
    f["zip_pt"] = out / "notmodel.pt"
    with zipfile.ZipFile(f["zip_pt"], "w") as z:
        z.writestr("readme.txt", "hello")
    f["tensor_pt"] = out / "tensor.pt"
    torch.save({"w": torch.zeros(3)}, f["tensor_pt"])

    f["latin1_txt"] = out / "latin1.txt"
    f["latin1_txt"].write_bytes("Flooding hit Asunción and Málaga.".encode("latin-1"))
    f["binary_txt"] = out / "binary.txt"
    f["binary_txt"].write_bytes(bytes(range(256)) * 64)
    f["big_latin1_txt"] = out / "big_latin1.txt"
    f["big_latin1_txt"].write_bytes(big[:-10] + "é".encode("latin-1") + b"\n")

    f["empty_csv"] = out / "empty.csv"
    f["empty_csv"].write_bytes(b"")
    f["wrong_csv"] = out / "wrong.csv"
    f["wrong_csv"].write_text("a,b,c\n1,2,3\n")
    f["big_csv"] = out / "big.csv"
    f["big_csv"].write_bytes(b"x" * (5 << 20))  # 5 MB without a line break
    f["big_rows_csv"] = out / "big_rows.csv"
    f["big_rows_csv"].write_bytes(b"q,w,e\n" + b"1,2,3\n" * (5 << 20 // 6))
    f["binary_csv"] = out / "binary.csv"
    f["binary_csv"].write_bytes(b"PK\x03\x04\x00\x00" + bytes(200))
    f["latin1_csv"] = out / "latin1.csv"
    f["latin1_csv"].write_bytes("modèle,données\n".encode("latin-1"))
    from geoarena.results.schema import SUBMISSION_COLUMNS

    f["header_csv"] = out / "header_only.csv"
    f["header_csv"].write_text(",".join(SUBMISSION_COLUMNS) + "\n")
    f["bad_json"] = out / "normalizer.json"
    f["bad_json"].write_text("{not json")
    f["list_json"] = out / "list.json"
    f["list_json"].write_text(json.dumps([1, 2, 3]))

    f["syntax_py"] = out / "broken_experiment.py"
    f["syntax_py"].write_text("def config(:\n    return 1\n")
    f["noconfig_py"] = out / "noconfig_experiment.py"
    f["noconfig_py"].write_text('"""An experiment that forgot config()."""\nX = 1\n')
    f["raising_py"] = out / "raising_experiment.py"
    f["raising_py"].write_text("raise RuntimeError('boom at import')\n")
    f["latin1_py"] = out / "latin1_experiment.py"
    f["latin1_py"].write_bytes('X = "caf\xe9"\ndef config():\n    return 1\n'.encode("latin-1"))
    f["big_py"] = out / "big_experiment.py"
    f["big_py"].write_bytes(big)
    f["sqlite_junk"] = out / "junk.db"
    f["sqlite_junk"].write_text("not a database")
    f["two_line_url"] = out / "two_lines.url"
    f["two_line_url"].write_text("sqlite:///a.db\nsqlite:///b.db\n")
    f["a_file"] = out / "a_file"
    f["a_file"].write_text("x")
    f["existing_out"] = out / "existing_output"
    f["existing_out"].write_text("keep me")
    f["existing_dir"] = out / "existing_dir"
    f["existing_dir"].mkdir(exist_ok=True)
    (f["existing_dir"] / "report.md").write_text("keep me")
    from fuzz_models import write_models

    f.update(write_models(out / "models", out / "PWNED"))  # the marker the suite checks
    return f


if __name__ == "__main__":
    for name, path in write_all(Path(sys.argv[1])).items():
        print(f"{name:<16} {path}")
