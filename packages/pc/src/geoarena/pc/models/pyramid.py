"""Multi-resolution neighbourhoods for point networks, from scipy KD-trees.

Each level keeps a prefix of the previous level's points, so sampling is a single reordering:
random order gives RandLA-Net's random sampling, farthest-point order gives PointNet++'s sampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class PyramidSpec:
    """``ratios``: down-sampling factor per level; ``k``: neighbours per point;
    ``up_k``: neighbours used to up-sample (1 nearest for RandLA, 3 for PointNet++);
    ``sampling``: ``random`` or ``fps`` (farthest point)."""

    ratios: tuple[int, ...] = (4, 4, 4, 4)
    k: int = 16
    up_k: int = 1
    sampling: Literal["random", "fps"] = "random"


def level_sizes(n: int, ratios: tuple[int, ...]) -> list[int]:
    sizes = [n]
    for r in ratios:
        sizes.append(max(1, sizes[-1] // r))
    return sizes


def farthest_point_order(p: np.ndarray, m: int, start: int = 0) -> np.ndarray:
    """A permutation of ``range(len(p))`` whose first ``m`` entries are farthest-point samples."""
    n = len(p)
    chosen = np.empty(m, np.int64)
    dist = np.full(n, np.inf)
    cur = start
    for i in range(m):
        chosen[i] = cur
        dist = np.minimum(dist, ((p - p[cur]) ** 2).sum(axis=1))
        cur = int(dist.argmax())
    rest = np.setdiff1d(np.arange(n), chosen, assume_unique=True)
    return np.concatenate([chosen, rest])


def _one(p: np.ndarray, spec: PyramidSpec) -> dict[str, list[np.ndarray] | np.ndarray]:
    sizes = level_sizes(len(p), spec.ratios)
    if spec.sampling == "fps":
        order = farthest_point_order(p, sizes[1])
    else:
        order = np.arange(len(p))  # crops arrive in random order: a prefix is a random sample
    p = p[order]
    trees = [cKDTree(p[:n]) for n in sizes]
    neigh, up_idx, up_w = [], [], []
    for i, n in enumerate(sizes[:-1]):
        k = min(spec.k, n)
        _, nb = trees[i].query(p[:n], k=k)
        neigh.append(nb.reshape(n, k))
        uk = min(spec.up_k, sizes[i + 1])
        d, ui = trees[i + 1].query(p[:n], k=uk)
        d, ui = d.reshape(n, uk), ui.reshape(n, uk)
        w = 1.0 / (d + 1e-8)
        up_idx.append(ui)
        up_w.append(w / w.sum(axis=1, keepdims=True))
    return {"order": order, "neigh": neigh, "up_idx": up_idx, "up_w": up_w}


def build_pyramid(
    points: torch.Tensor, spec: PyramidSpec
) -> dict[str, torch.Tensor | list[torch.Tensor]]:
    """Neighbour, pooling and up-sampling indices for a batch of crops ``(B, N, 3)``.

    Returns ``order`` (B, N): the reordering applied to the points (level ``i`` is the first
    ``sizes[i]`` points after it), ``neigh[i]`` (B, N_i, k), ``up_idx[i]`` and ``up_w[i]``
    (B, N_i, up_k): the nearest level ``i+1`` points of each level ``i`` point.
    """
    device = points.device
    per = [_one(p, spec) for p in points.detach().cpu().numpy().astype(np.float64)]

    def stack(key: str, i: int | None = None) -> torch.Tensor:
        arrs = [d[key] if i is None else d[key][i] for d in per]
        t = torch.from_numpy(np.stack(arrs))
        return t.to(device, torch.float32 if t.dtype == torch.float64 else torch.long)

    n_levels = len(per[0]["neigh"])
    return {
        "sizes": level_sizes(points.shape[1], spec.ratios),
        "order": stack("order"),
        "neigh": [stack("neigh", i) for i in range(n_levels)],
        "up_idx": [stack("up_idx", i) for i in range(n_levels)],
        "up_w": [stack("up_w", i) for i in range(n_levels)],
    }


def gather(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``x`` (B, N, C) at ``idx`` (B, M, K) → (B, M, K, C)."""
    b, m, k = idx.shape
    flat = idx.reshape(b, m * k, 1).expand(-1, -1, x.shape[-1])
    return torch.gather(x, 1, flat).reshape(b, m, k, x.shape[-1])
