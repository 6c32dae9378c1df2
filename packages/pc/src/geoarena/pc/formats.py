"""Readers for public LiDAR segmentation benchmarks in their own on-disk formats, by path.

- Toronto-3D: binary PLY tiles ``L001.ply``… with ``x y z`` (double, UTM 17N), ``red green blue``,
  ``scalar_Intensity``, ``scalar_GPSTime``, ``scalar_ScanAngleRank`` and ``scalar_Label``
  (0 unclassified, 1 road, 2 road marking, 3 natural, 4 building, 5 utility line, 6 pole, 7 car,
  8 fence).
- Semantic3D: ``<scan>.txt`` with ``x y z intensity r g b`` per line and ``<scan>.labels`` with one
  integer per line (0 unlabelled, 1 man-made terrain … 8 cars).
- SemanticKITTI: ``sequences/<seq>/velodyne/<id>.bin`` (float32 x y z remission) and
  ``labels/<id>.label`` (uint32: semantic id in the lower 16 bits, instance in the upper 16),
  mapped to the 19 training classes with the official learning map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError
from geoarena.pc.asprs import ClassMap
from geoarena.pc.io import PointCloud, read_open3d, validate

TORONTO3D_CLASSES = ClassMap(
    "toronto3d",
    ("road", "road_marking", "natural", "building", "utility_line", "pole", "car", "fence"),
    {
        1: "road",
        2: "road_marking",
        3: "natural",
        4: "building",
        5: "utility_line",
        6: "pole",
        7: "car",
        8: "fence",
    },
)

SEMANTIC3D_CLASSES = ClassMap(
    "semantic3d",
    (
        "man_made_terrain",
        "natural_terrain",
        "high_vegetation",
        "low_vegetation",
        "buildings",
        "hard_scape",
        "scanning_artefacts",
        "cars",
    ),
    {
        1: "man_made_terrain",
        2: "natural_terrain",
        3: "high_vegetation",
        4: "low_vegetation",
        5: "buildings",
        6: "hard_scape",
        7: "scanning_artefacts",
        8: "cars",
    },
)

_KITTI_NAMES = (
    "car", "bicycle", "motorcycle", "truck", "other-vehicle", "person", "bicyclist", "motorcyclist", "road", "parking",
    "sidewalk", "other-ground", "building", "fence", "vegetation", "trunk", "terrain", "pole", "traffic-sign",
)  # fmt: skip
#: semantic-kitti.yaml ``learning_map``: raw id → training id (0 = ignored).
KITTI_LEARNING_MAP = {
    0: 0, 1: 0, 10: 1, 11: 2, 13: 5, 15: 3, 16: 5, 18: 4, 20: 5, 30: 6, 31: 7, 32: 8, 40: 9, 44: 10, 48: 11, 49: 12,
    50: 13, 51: 14, 52: 0, 60: 9, 70: 15, 71: 16, 72: 17, 80: 18, 81: 19, 99: 0, 252: 1, 253: 7, 254: 6, 255: 8,
    256: 5, 257: 5, 258: 4, 259: 5,
}  # fmt: skip
SEMANTICKITTI_CLASSES = ClassMap(
    "semantickitti",
    _KITTI_NAMES,
    {raw: _KITTI_NAMES[t - 1] for raw, t in KITTI_LEARNING_MAP.items() if t > 0},
)

#: Toronto-3D's documented UTM offset, subtracted by its authors' code before float32 math; we
#: keep float64 coordinates, so it is only recorded.
TORONTO3D_UTM_OFFSET = (627285.0, 4841948.0, 0.0)


def read_toronto3d(path: str | Path) -> PointCloud:
    """A Toronto-3D PLY tile; ``classification`` holds its labels (0-8), CRS EPSG:26917."""
    import pyproj

    cloud = read_open3d(path, require=("scalar_Label",))
    attrs = cloud.attributes
    cloud.classification = attrs.pop("scalar_Label").astype(np.int64).astype(np.uint8)
    if "scalar_Intensity" in attrs:
        attrs["intensity"] = attrs.pop("scalar_Intensity")
    cloud.crs = pyproj.CRS.from_epsg(26917)
    return cloud


def read_semantic3d(path: str | Path, labels: str | Path | None = None) -> PointCloud:
    """A Semantic3D scan ``.txt`` (x y z intensity r g b) with its ``.labels`` beside it
    (or at ``labels``; a missing labels file gives an unlabelled cloud)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path)
    try:
        table = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64, engine="c").to_numpy()
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"not a Semantic3D point file (x y z intensity r g b per line): {exc}", path
        ) from exc
    except pd.errors.EmptyDataError:
        table = np.zeros((0, 7))
    if table.ndim != 2 or (len(table) and table.shape[1] != 7):
        raise DataError(f"expected 7 columns (x y z intensity r g b), got {table.shape[1]}", path)
    cloud = PointCloud(
        xyz=table[:, :3],
        attributes={
            "intensity": table[:, 3].astype(np.float32),
            **{c: table[:, 4 + i].astype(np.uint8) for i, c in enumerate(("red", "green", "blue"))},
        },
        path=path,
    )
    validate(cloud)
    lab_path = Path(labels) if labels is not None else path.with_suffix(".labels")
    if lab_path.exists():
        lab = np.loadtxt(lab_path, dtype=np.int64, ndmin=1)
        if len(lab) != len(cloud):
            raise DataError(f"{len(lab)} labels for {len(cloud)} points in {path.name}", lab_path)
        cloud.classification = lab.astype(np.uint8)
    return cloud


def read_semantickitti(scan: str | Path, label: str | Path | None = None) -> PointCloud:
    """A SemanticKITTI scan (``velodyne/<id>.bin``) with ``labels/<id>.label`` from the sibling
    folder; ``classification`` holds the raw semantic ids, which ``SEMANTICKITTI_CLASSES``
    encodes to the 19 training classes (unlabelled, outlier and other-structure ignored)."""
    scan = Path(scan)
    if not scan.exists():
        raise DataError("file not found", scan)
    size = scan.stat().st_size
    if size % 16:
        raise DataError(
            f"size {size} bytes is not a multiple of 16 (float32 x y z remission)", scan
        )
    raw = np.fromfile(scan, dtype=np.float32)
    pts = raw.reshape(-1, 4)
    cloud = validate(
        PointCloud(
            xyz=pts[:, :3].astype(np.float64), attributes={"intensity": pts[:, 3]}, path=scan
        )
    )
    label = (
        Path(label) if label is not None else scan.parent.parent / "labels" / (scan.stem + ".label")
    )
    if label.exists():
        lab = np.fromfile(label, dtype=np.uint32)
        if len(lab) != len(cloud):
            raise DataError(f"{len(lab)} labels for {len(cloud)} points", label)
        # raw semantic ids (10 car, 40 road…); SEMANTICKITTI_CLASSES.encode applies the learning map
        cloud.classification = (lab & 0xFFFF).astype(np.uint16)
        cloud.attributes["instance"] = (lab >> 16).astype(np.uint16)
    return cloud


def read_benchmark_cloud(path: str | Path, fmt: str = "auto") -> tuple[PointCloud, ClassMap]:
    """Read a Toronto-3D / Semantic3D / SemanticKITTI file by path; ``fmt`` ``auto`` guesses
    from the extension (``.ply`` Toronto-3D, ``.txt`` Semantic3D, ``.bin`` SemanticKITTI)."""
    path = Path(path)
    if fmt == "auto":
        fmt = {".ply": "toronto3d", ".txt": "semantic3d", ".bin": "semantickitti"}.get(
            path.suffix.lower(), ""
        )
    if fmt == "toronto3d":
        return read_toronto3d(path), TORONTO3D_CLASSES
    if fmt == "semantic3d":
        return read_semantic3d(path), SEMANTIC3D_CLASSES
    if fmt == "semantickitti":
        return read_semantickitti(path), SEMANTICKITTI_CLASSES
    raise DataError(
        f"unknown benchmark format {fmt!r} (toronto3d, semantic3d, semantickitti)", path
    )
