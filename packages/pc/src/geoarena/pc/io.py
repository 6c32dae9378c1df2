"""Reading and writing point clouds: LAS/LAZ through laspy (lazrs), PLY/PCD through open3d.

Every reader returns a ``PointCloud`` and raises ``DataError`` naming the file for a missing or
corrupt file, an empty cloud, missing dimensions and non-finite coordinates. The LAS header
(scales, offsets, CRS) travels with the cloud so that classified output keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError

#: Per-point attributes the feature code understands, by their laspy dimension names.
LAS_ATTRIBUTES = ("intensity", "return_number", "number_of_returns", "red", "green", "blue", "nir")


@dataclass
class PointCloud:
    """Points with attributes, labels and georeference.

    Attributes:
        xyz: ``(N, 3)`` float64 coordinates in the file's units.
        attributes: per-point arrays (``intensity``, ``return_number``, ``red``…, or a dataset's own).
        classification: per-point source class codes (ASPRS for LAS, a dataset's codes otherwise).
        crs: ``pyproj.CRS`` or ``None``.
        unit_to_metre: factor turning horizontal coordinate units into metres (0.3048006 for US
            survey feet), so neighbourhood radii can be given in metres.
        path: source file (for error messages).
        header: the laspy header of a LAS/LAZ source (scales, offsets, VLRs), else ``None``.
    """

    xyz: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    classification: np.ndarray | None = None
    crs: Any = None
    unit_to_metre: float = 1.0
    path: Path | None = None
    header: Any = None

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    def subset(self, index: np.ndarray) -> PointCloud:
        """The points at ``index`` (a boolean mask or integer indices), same georeference."""
        return PointCloud(
            xyz=self.xyz[index],
            attributes={k: v[index] for k, v in self.attributes.items()},
            classification=None if self.classification is None else self.classification[index],
            crs=self.crs,
            unit_to_metre=self.unit_to_metre,
            path=self.path,
            header=self.header,
        )


def linear_unit_to_metre(crs: Any) -> float:
    """Metres per horizontal unit of a projected ``crs`` (1.0 when unknown or geographic)."""
    if crs is None:
        return 1.0
    try:
        axis = crs.axis_info[0]
    except (AttributeError, IndexError):
        return 1.0
    if axis.unit_name in ("degree", "radian") or not axis.unit_conversion_factor:
        return 1.0
    return float(axis.unit_conversion_factor)


def validate(cloud: PointCloud, path: Path | str | None = None) -> PointCloud:
    """Raise ``DataError`` for an empty cloud or non-finite coordinates."""
    path = path or cloud.path
    if len(cloud) == 0:
        raise DataError("empty point cloud (0 points)", path)
    if cloud.xyz.ndim != 2 or cloud.xyz.shape[1] != 3:
        raise DataError(f"coordinates must be (N, 3), got {cloud.xyz.shape}", path)
    bad = ~np.isfinite(cloud.xyz).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{int(bad.sum())} of {len(cloud)} points have NaN or infinite coordinates "
            f"(first at index {first})",
            path,
        )
    return cloud


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise DataError("file not found", path)
    if path.is_dir():
        raise DataError("is a folder, expected a point-cloud file", path)


def read_las(path: str | Path, require: Iterable[str] = ()) -> PointCloud:
    """Read a LAS/LAZ file with laspy.

    Args:
        path: ``.las`` or ``.laz`` (LAZ needs ``laspy[lazrs]``).
        require: dimension names that must exist (e.g. ``("red", "nir")``); a missing one raises
            ``DataError`` listing what the file has.
    """
    import laspy

    path = Path(path)
    _check_exists(path)
    try:
        las = laspy.read(path)
    except (laspy.errors.LaspyException, ValueError, OSError, EOFError) as exc:
        raise DataError(f"cannot read LAS/LAZ: {exc}", path) from exc
    dims = set(las.point_format.dimension_names)
    missing = [d for d in require if d not in dims]
    if missing:
        raise DataError(
            f"missing point dimensions {missing} (point format {las.point_format.id} has "
            f"{sorted(dims)})",
            path,
        )
    try:
        crs = las.header.parse_crs()
    except Exception as exc:  # laspy raises pyproj's and its own errors for malformed VLRs
        raise DataError(f"unreadable CRS in the LAS header: {exc}", path) from exc
    xyz = np.column_stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)])
    attributes = {d: np.asarray(las[d]) for d in LAS_ATTRIBUTES if d in dims}
    cloud = PointCloud(
        xyz=xyz,
        attributes=attributes,
        classification=np.asarray(las.classification).astype(np.uint8),
        crs=crs,
        unit_to_metre=linear_unit_to_metre(crs),
        path=path,
        header=las.header,
    )
    return validate(cloud, path)


def read_open3d(path: str | Path, require: Iterable[str] = ()) -> PointCloud:
    """Read PLY/PCD (or any format open3d's tensor I/O knows) with every per-point attribute.

    ``colors`` become ``red``/``green``/``blue``; other properties keep their names (Toronto-3D's
    ``scalar_Intensity``, ``scalar_Label``…).
    """
    from geoarena.pc.o3d import open3d

    o3d = open3d()
    path = Path(path)
    _check_exists(path)
    pcd = o3d.t.io.read_point_cloud(str(path))
    keys = list(pcd.point)
    if "positions" not in keys:
        if path.stat().st_size == 0 or not keys:
            raise DataError("empty or unreadable point cloud (open3d read no points)", path)
        raise DataError(f"no x/y/z positions (properties: {keys})", path)
    xyz = pcd.point.positions.numpy().astype(np.float64)
    attributes: dict[str, np.ndarray] = {}
    for key in keys:
        if key == "positions":
            continue
        arr = pcd.point[key].numpy()
        if key == "colors":
            for i, name in enumerate(("red", "green", "blue")):
                attributes[name] = arr[:, i]
        elif arr.ndim == 2 and arr.shape[1] == 1:
            attributes[key] = arr[:, 0]
        else:
            attributes[key] = arr
    missing = [d for d in require if d not in attributes]
    if missing:
        raise DataError(f"missing point properties {missing} (file has {sorted(attributes)})", path)
    return validate(PointCloud(xyz=xyz, attributes=attributes, path=path), path)


def write_open3d(cloud: PointCloud, path: str | Path) -> Path:
    """Write ``cloud`` as PLY/PCD with its attributes (colors as uint8 when 8-bit)."""
    from geoarena.pc.o3d import open3d

    o3d = open3d()
    pcd = o3d.t.geometry.PointCloud()
    pcd.point.positions = o3d.core.Tensor(np.ascontiguousarray(cloud.xyz, dtype=np.float64))
    attrs = dict(cloud.attributes)
    if all(c in attrs for c in ("red", "green", "blue")):
        rgb = np.column_stack([attrs.pop(c) for c in ("red", "green", "blue")])
        pcd.point.colors = o3d.core.Tensor(np.ascontiguousarray(rgb))
    for key, arr in attrs.items():
        pcd.point[key] = o3d.core.Tensor(np.ascontiguousarray(arr.reshape(len(cloud), -1)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not o3d.t.io.write_point_cloud(str(path), pcd):
        raise DataError("open3d could not write the point cloud", path)
    return path


def read_cloud(path: str | Path, require: Iterable[str] = ()) -> PointCloud:
    """Read any supported point cloud by extension: ``.las``/``.laz`` (laspy), ``.ply``/``.pcd``
    (open3d)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".las", ".laz"):
        return read_las(path, require)
    if suffix in (".ply", ".pcd", ".pts", ".xyz", ".xyzn", ".xyzrgb"):
        return read_open3d(path, require)
    raise DataError(f"unsupported point-cloud format {suffix!r} (use .las, .laz, .ply, .pcd)", path)
