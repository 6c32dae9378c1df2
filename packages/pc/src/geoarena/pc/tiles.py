"""Square spatial tiles with a halo of context points (overlap) over a cloud's own extent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """One tile: ``core`` points are predicted from it, ``window`` = core + halo (context)."""

    core: np.ndarray
    window: np.ndarray


def iter_tiles(
    xy: np.ndarray, tile: float, halo: float, mask: np.ndarray | None = None
) -> Iterator[Tile]:
    """Tiles of side ``tile`` over the points (coordinates in the same units as ``tile``).

    Every point selected by ``mask`` (all points by default) is in exactly one tile's ``core``;
    its ``window`` adds every point (selected or not) within ``halo`` of the tile. Empty tiles
    are skipped, so a cloud that fills a small patch of a large header extent costs nothing.
    """
    if len(xy) == 0:
        return
    origin = xy.min(axis=0)
    ij = np.floor((xy - origin) / tile).astype(np.int64)
    sel = np.ones(len(xy), bool) if mask is None else mask
    cells = np.unique(ij[sel], axis=0)
    order = np.argsort(xy[:, 0], kind="stable")
    xs = xy[order, 0]
    for i, j in cells:
        x0, y0 = origin + np.array([i, j]) * tile
        lo, hi = np.searchsorted(xs, [x0 - halo, x0 + tile + halo])
        cand = order[lo:hi]
        p = xy[cand]
        in_win = (p[:, 1] >= y0 - halo) & (p[:, 1] < y0 + tile + halo)
        window = np.sort(cand[in_win])
        core = window[(ij[window, 0] == i) & (ij[window, 1] == j) & sel[window]]
        if len(core):
            yield Tile(core=core, window=window)
