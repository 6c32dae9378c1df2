"""Write tiny point-cloud fixtures in the real on-disk formats (run: python make_data.py OUT).

- ``scene.las`` / ``scene.laz``: LAS 1.4 point format 7 (RGB) with an EPSG:2154 WKT CRS, scales
  0.01 and offsets (700000, 6600000, 0): a ground plane (ASPRS 2), a flat-roofed box building
  (6) and two round trees (5), ~1,800 points.
- ``scene_feet.las``: the same scene in EPSG:6880 (US survey feet).
- ``empty.las``: a valid header with 0 points. ``no_rgb.las``: point format 1 (no colours).
- ``nan.ply``: ASCII PLY with one NaN coordinate. ``scene.pcd``: ASCII PCD (x y z intensity).
- ``toronto3d/L001.ply``: binary PLY with Toronto-3D's properties.
- ``semantic3d/station1.txt`` + ``.labels``.
- ``semantickitti/sequences/00/velodyne/000000.bin`` + ``labels/000000.label``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ORIGIN = np.array([700000.0, 6600000.0, 0.0])


def scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xyz in metres from ORIGIN, ASPRS class, rgb uint16)`` of a 30 × 30 m toy scene."""
    rng = np.random.default_rng(seed)
    g = rng.uniform(0, 30, (1200, 2))
    ground = np.column_stack([g, 0.05 * g[:, 0] + rng.normal(0, 0.03, len(g))])
    b = rng.uniform(0, 8, (300, 2)) + np.array([18.0, 4.0])
    roof = np.column_stack([b, np.full(len(b), 6.0) + rng.normal(0, 0.02, len(b))])
    w = rng.uniform(0, 6, (120, 1))
    wall = np.column_stack([np.full((120, 1), 18.0), 4 + rng.uniform(0, 8, (120, 1)), w])
    trees = []
    for cx, cy in ((6, 20), (10, 8)):
        d = rng.normal(0, 1, (150, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        trees.append(d * rng.uniform(1, 2.5, (150, 1)) + [cx, cy, 5])
    xyz = np.vstack([ground, roof, wall, *trees])
    cls = np.concatenate(
        [np.full(len(ground), 2), np.full(len(roof) + len(wall), 6), np.full(300, 5)]
    ).astype(np.uint8)
    rgb = np.zeros((len(xyz), 3), np.uint16)
    rgb[cls == 2] = (30000, 28000, 20000)
    rgb[cls == 6] = (50000, 20000, 20000)
    rgb[cls == 5] = (10000, 40000, 10000)
    return xyz, cls, rgb


def write_las(
    path: Path,
    xyz: np.ndarray,
    cls: np.ndarray,
    rgb: np.ndarray | None,
    epsg: int | None,
    fmt: int = 7,
) -> Path:
    import laspy
    import pyproj

    header = laspy.LasHeader(point_format=fmt, version="1.4")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = (
        ORIGIN if epsg == 2154 else np.floor(xyz.min(axis=0)) if len(xyz) else np.zeros(3)
    )
    if epsg is not None:
        header.add_crs(pyproj.CRS.from_epsg(epsg))
    las = laspy.LasData(header)
    if len(xyz):
        las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        las.classification = cls
        las.intensity = (100 + 50 * (cls == 6)).astype(np.uint16)
        las.return_number = np.ones(len(xyz), np.uint8)
        las.number_of_returns = np.where(cls == 5, 2, 1).astype(np.uint8)
        if rgb is not None and fmt in (2, 3, 5, 7, 8, 10):
            las.red, las.green, las.blue = rgb.T
    las.write(path)
    return path


def write_ply_ascii(path: Path, xyz: np.ndarray) -> Path:
    lines = [
        "ply",
        "format ascii 1.0",
        f"element vertex {len(xyz)}",
        "property double x",
        "property double y",
        "property double z",
        "end_header",
    ]
    lines += [f"{x} {y} {z}" for x, y, z in xyz]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_pcd_ascii(path: Path, xyz: np.ndarray, intensity: np.ndarray) -> Path:
    n = len(xyz)
    head = [
        "VERSION .7",
        "FIELDS x y z intensity",
        "SIZE 4 4 4 4",
        "TYPE F F F F",
        "COUNT 1 1 1 1",
        f"WIDTH {n}",
        "HEIGHT 1",
        "VIEWPOINT 0 0 0 1 0 0 0",
        f"POINTS {n}",
        "DATA ascii",
    ]
    rows = [f"{x:.3f} {y:.3f} {z:.3f} {i:.1f}" for (x, y, z), i in zip(xyz, intensity)]
    path.write_text("\n".join(head + rows) + "\n")
    return path


def write_toronto3d(path: Path, xyz: np.ndarray, labels: np.ndarray, rgb8: np.ndarray) -> Path:
    """Binary little-endian PLY with Toronto-3D's vertex properties, in its UTM 17N frame."""
    dtype = np.dtype([("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("red", "u1"), ("green", "u1"), ("blue", "u1"),
                      ("scalar_Intensity", "<f4"), ("scalar_GPSTime", "<f4"), ("scalar_ScanAngleRank", "<f4"), ("scalar_Label", "<f4")])  # fmt: skip
    rec = np.zeros(len(xyz), dtype)
    for i, c in enumerate("xyz"):
        rec[c] = xyz[:, i] + (627285.0, 4841948.0, 0.0)[i]
    rec["red"], rec["green"], rec["blue"] = rgb8.T
    rec["scalar_Intensity"] = 40.0
    rec["scalar_GPSTime"] = np.arange(len(xyz), dtype=np.float32)
    rec["scalar_Label"] = labels
    props = "".join(
        f"property {'double' if dtype[n].itemsize == 8 else 'uchar' if dtype[n].itemsize == 1 else 'float'} {n}\n"
        for n in dtype.names
    )
    head = f"ply\nformat binary_little_endian 1.0\nelement vertex {len(xyz)}\n{props}end_header\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head.encode() + rec.tobytes())
    return path


def write_all(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    xyz, cls, rgb = scene()
    files = {
        "las": write_las(out / "scene.las", xyz + ORIGIN, cls, rgb, 2154),
        "laz": write_las(out / "scene.laz", xyz + ORIGIN, cls, rgb, 2154),
        "feet": write_las(
            out / "scene_feet.las",
            xyz / 0.3048006096 + [2445000.0, 603000.0, 1300.0],
            cls,
            rgb,
            6880,
        ),
        "empty": write_las(out / "empty.las", np.zeros((0, 3)), np.zeros(0, np.uint8), None, 2154),
        "no_rgb": write_las(out / "no_rgb.las", xyz + ORIGIN, cls, None, 2154, fmt=1),
    }
    bad = xyz[:20].copy()
    bad[7, 2] = np.nan
    files["nan_ply"] = write_ply_ascii(out / "nan.ply", bad)
    files["pcd"] = write_pcd_ascii(out / "scene.pcd", xyz, np.where(cls == 6, 150.0, 100.0))
    toronto = {2: 1, 6: 4, 5: 3}  # ground→road, building→building, tree→natural
    t_lab = np.array([toronto[c] for c in cls], np.float32)
    files["toronto3d"] = write_toronto3d(
        out / "toronto3d" / "L001.ply", xyz, t_lab, (rgb >> 8).astype(np.uint8)
    )
    s3d = out / "semantic3d"
    s3d.mkdir(exist_ok=True)
    s_lab = np.array([{2: 2, 6: 5, 5: 3}[c] for c in cls])
    rows = np.column_stack([xyz, np.full(len(xyz), -1200.0), (rgb >> 8)])
    np.savetxt(s3d / "station1.txt", rows, fmt=["%.3f", "%.3f", "%.3f", "%d", "%d", "%d", "%d"])
    np.savetxt(s3d / "station1.labels", s_lab, fmt="%d")
    files["semantic3d"] = s3d / "station1.txt"
    seq = out / "semantickitti" / "sequences" / "00"
    (seq / "velodyne").mkdir(parents=True, exist_ok=True)
    (seq / "labels").mkdir(parents=True, exist_ok=True)
    k_xyz = (xyz - [15, 15, 1.7]).astype(np.float32)
    np.column_stack([k_xyz, np.full(len(xyz), 0.3, np.float32)]).astype(np.float32).tofile(
        seq / "velodyne" / "000000.bin"
    )
    raw = np.array([{2: 40, 6: 50, 5: 70}[c] for c in cls], np.uint32)
    instance = np.where(cls == 6, 3, 0).astype(np.uint32)
    (raw | (instance << 16)).astype(np.uint32).tofile(seq / "labels" / "000000.label")
    files["semantickitti"] = seq / "velodyne" / "000000.bin"
    return files


if __name__ == "__main__":
    for name, p in write_all(
        Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "generated")
    ).items():
        print(name, p)
