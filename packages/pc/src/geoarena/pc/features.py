"""Local geometric features for per-point classification.

Eigenvalue features of the local covariance at several neighbourhood sizes (open3d KD-tree),
height above the local ground minimum and below the local maximum at metric radii, and the
LiDAR attributes a file has (intensity, returns, RGB, NIR, NDVI). Grid subsampling lives here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoarena.pc.io import PointCloud

EIGEN_FEATURES = (
    "linearity",
    "planarity",
    "scattering",
    "omnivariance",
    "anisotropy",
    "eigenentropy",
    "curvature",
    "verticality",
)


@dataclass(frozen=True)
class FeatureConfig:
    """Which features to compute.

    Attributes:
        knn_scales: neighbourhood sizes (number of nearest neighbours) for eigenvalue features;
            k-NN rather than fixed radii because point density differs 50× between tiles.
        height_radii_m: horizontal radii (metres) for height above local minimum / below maximum.
        attributes: add intensity, return, RGB, NIR and NDVI features when the cloud has them.
        intensity_scale: divide intensity by this; 0 uses the cloud's 99th percentile (tiled
            inference passes the whole file's value so every tile is scaled alike).
    """

    knn_scales: tuple[int, ...] = (10, 25, 60)
    height_radii_m: tuple[float, ...] = (2.0, 10.0)
    attributes: bool = True
    intensity_scale: float = 0.0


def grid_subsample(xyz: np.ndarray, voxel: float) -> tuple[np.ndarray, np.ndarray]:
    """Keep one point per ``voxel``-sized cube.

    Returns:
        ``(keep, inverse)``: indices of the kept points (the first point of each voxel, in input
        order) and, for every input point, the position in ``keep`` of its voxel's point, so that
        predictions on the kept points map back to every original point as ``pred[inverse]``.
    """
    if voxel <= 0:
        idx = np.arange(len(xyz))
        return idx, idx
    keys = np.floor((xyz - xyz.min(axis=0)) / voxel).astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # keep input order of representatives
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.reshape(-1)]


def _knn_search(xyz_m: np.ndarray, k: int):
    """``search(start, stop) -> (stop - start, k)`` neighbour indices of points ``start:stop``
    among all of ``xyz_m`` (the point itself first, then by increasing distance), from one
    open3d KD-tree index built once (multi-threaded search)."""
    from geoarena.pc.o3d import open3d

    o3d = open3d()
    pts = np.ascontiguousarray(xyz_m - xyz_m.mean(axis=0), dtype=np.float64)
    nns = o3d.core.nns.NearestNeighborSearch(o3d.core.Tensor(pts))
    nns.knn_index()

    def search(start: int, stop: int) -> np.ndarray:
        idx, _ = nns.knn_search(o3d.core.Tensor(np.ascontiguousarray(pts[start:stop])), k)
        return idx.numpy().reshape(stop - start, k)

    return search


def knn_indices(xyz_m: np.ndarray, k: int, n_target: int | None = None) -> np.ndarray:
    """``(n_target, k)`` indices of the ``k`` nearest points (the point itself first, then by
    increasing distance) of the first ``n_target`` points (default all) among all of ``xyz_m``."""
    n_target = len(xyz_m) if n_target is None else n_target
    return _knn_search(xyz_m, min(k, len(xyz_m)))(0, n_target)


def multiscale_covariances(
    xyz_m: np.ndarray, ks: tuple[int, ...], n_target: int | None = None, chunk: int = 32768
) -> list[np.ndarray]:
    """Per ``k`` in ``ks``: ``(n_target, 3, 3)`` covariance of the ``k`` nearest neighbours of
    each of the first ``n_target`` points (default all), neighbours taken from all points.

    One KD-tree search at the largest ``k`` serves every scale (the smaller neighbourhoods are
    prefixes of its distance-sorted neighbour lists); neighbours and covariances are computed in
    chunks of ``chunk`` points, so memory beyond the outputs stays bounded.
    """
    n_target = len(xyz_m) if n_target is None else n_target
    ks = tuple(min(k, len(xyz_m)) for k in ks)
    out = [np.empty((n_target, 3, 3)) for _ in ks]
    if n_target == 0:
        return out
    search = _knn_search(xyz_m, max(ks))
    for s in range(0, n_target, chunk):
        e = min(s + chunk, n_target)
        nb = xyz_m[search(s, e)] - xyz_m[s:e, None, :]  # local coordinates, (c, kmax, 3)
        for k, cov in zip(ks, out):
            d = nb[:, :k] - nb[:, :k].mean(axis=1, keepdims=True)
            cov[s:e] = np.matmul(d.transpose(0, 2, 1), d) / k
    return out


def local_covariances(xyz_m: np.ndarray, k: int) -> np.ndarray:
    """``(N, 3, 3)`` covariance of each point's ``k`` nearest neighbours (open3d KD-tree)."""
    return multiscale_covariances(xyz_m, (k,))[0]


def eigen_features(cov: np.ndarray) -> np.ndarray:
    """The ``EIGEN_FEATURES`` (N, 8) from covariance matrices (Weinmann et al. 2015)."""
    w, v = np.linalg.eigh(cov)  # ascending
    w = np.clip(w, 1e-12, None)
    l3, l2, l1 = w[:, 0], w[:, 1], w[:, 2]
    s = l1 + l2 + l3
    e = w / s[:, None]
    normal_z = np.abs(v[:, 2, 0])  # z of the eigenvector of the smallest eigenvalue
    return np.column_stack(
        [
            (l1 - l2) / l1,
            (l2 - l3) / l1,
            l3 / l1,
            np.cbrt(e[:, 0] * e[:, 1] * e[:, 2]),
            (l1 - l3) / l1,
            -(e * np.log(e)).sum(axis=1),
            l3 / s,
            1.0 - normal_z,
        ]
    ).astype(np.float32)


def _cell_reduce(xy: np.ndarray, z: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of ``z`` over the 3×3 block of ``cell``-sized grid cells around each point."""
    ij = np.floor((xy - xy.min(axis=0)) / cell).astype(np.int64) + 1
    width = int(ij[:, 1].max()) + 3
    key = ij[:, 0] * width + ij[:, 1]
    order = np.argsort(key, kind="stable")
    ukey, start = np.unique(key[order], return_index=True)
    cmin = np.minimum.reduceat(z[order], start)
    cmax = np.maximum.reduceat(z[order], start)
    lo = np.full(len(z), np.inf)
    hi = np.full(len(z), -np.inf)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            nk = key + di * width + dj
            pos = np.clip(np.searchsorted(ukey, nk), 0, len(ukey) - 1)
            hit = ukey[pos] == nk
            lo = np.where(hit, np.minimum(lo, cmin[pos]), lo)
            hi = np.where(hit, np.maximum(hi, cmax[pos]), hi)
    return lo, hi


def height_features(xyz_m: np.ndarray, radii_m: tuple[float, ...]) -> np.ndarray:
    """Per radius: height above the local minimum and below the local maximum (metres)."""
    cols = []
    for r in radii_m:
        lo, hi = _cell_reduce(xyz_m[:, :2], xyz_m[:, 2], r)
        cols += [xyz_m[:, 2] - lo, hi - xyz_m[:, 2]]
    return np.column_stack(cols).astype(np.float32)


def _unit_scale(a: np.ndarray) -> np.ndarray:
    """Colour/NIR channels to [0, 1] whether stored as 8 or 16 bit."""
    a = a.astype(np.float32)
    return a / (65535.0 if a.max(initial=0) > 255 else 255.0)


def attribute_features(
    cloud: PointCloud, intensity_scale: float = 0.0
) -> tuple[np.ndarray, list[str]]:
    """Intensity (robustly scaled), return number ratio, number of returns, RGB, NIR, NDVI."""
    a = cloud.attributes
    cols: list[np.ndarray] = []
    names: list[str] = []
    if "intensity" in a:
        inten = a["intensity"].astype(np.float32)
        scale = intensity_scale or float(np.percentile(inten, 99))
        cols.append(inten / max(scale, 1.0))
        names.append("intensity")
    if "return_number" in a and "number_of_returns" in a:
        n = np.maximum(a["number_of_returns"].astype(np.float32), 1)
        cols += [a["return_number"].astype(np.float32) / n, n]
        names += ["return_ratio", "number_of_returns"]
    if all(c in a for c in ("red", "green", "blue")):
        for c in ("red", "green", "blue"):
            cols.append(_unit_scale(a[c]))
            names.append(c)
    if "nir" in a:
        nir = _unit_scale(a["nir"])
        cols.append(nir)
        names.append("nir")
        if "red" in a:
            red = _unit_scale(a["red"])
            cols.append((nir - red) / np.maximum(nir + red, 1e-6))
            names.append("ndvi")
    if not cols:
        return np.zeros((len(cloud), 0), np.float32), names
    return np.column_stack(cols).astype(np.float32), names


def compute_features(
    cloud: PointCloud, cfg: FeatureConfig | None = None, n_target: int | None = None
) -> tuple[np.ndarray, list[str]]:
    """All features of ``cloud`` as ``(N, F)`` float32 plus their names; radii are metric
    (coordinates are scaled by ``cloud.unit_to_metre`` first).

    With ``n_target``, only the first ``n_target`` points get features (``(n_target, F)``) while
    all points serve as their neighbours: tiled inference of per-point classifiers computes
    features for a tile's own points only, its halo being context.
    """
    cfg = cfg or FeatureConfig()
    n = len(cloud) if n_target is None else n_target
    xyz_m = (cloud.xyz - cloud.xyz.min(axis=0)) * cloud.unit_to_metre
    blocks, names = [], []
    covs = multiscale_covariances(xyz_m, tuple(cfg.knn_scales), n)
    for k, cov in zip(cfg.knn_scales, covs):
        blocks.append(eigen_features(cov))
        names += [f"{e}_k{k}" for e in EIGEN_FEATURES]
    blocks.append(height_features(xyz_m, cfg.height_radii_m)[:n])
    for r in cfg.height_radii_m:
        names += [f"height_above_min_r{r:g}", f"height_below_max_r{r:g}"]
    if cfg.attributes:
        attr, attr_names = attribute_features(cloud, cfg.intensity_scale)
        blocks.append(attr[:n])
        names += attr_names
    feats = np.concatenate(blocks, axis=1)
    return np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0), names
