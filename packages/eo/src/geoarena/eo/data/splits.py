"""Spatial block splits and seeded stratified label-fraction subsets.

Chips are grouped into square blocks of neighbouring chips; whole blocks go to one split, so no
two chips of the same neighbourhood end up in different splits (Raster Vision / GEO-Bench
practice: random chip splits leak spatial autocorrelation into the test score).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SPLITS = ("train", "val", "test")


def block_ids(rows: np.ndarray, cols: np.ndarray, scene: np.ndarray, block: int) -> np.ndarray:
    """One integer id per chip: the (scene, row // block, col // block) cell it falls in."""
    br = rows // block
    bc = cols // block
    key = np.stack([scene, br, bc], axis=1)
    _, ids = np.unique(key, axis=0, return_inverse=True)
    return ids.reshape(-1)


def assign_blocks(
    groups: np.ndarray,
    fractions: Sequence[float] = (0.6, 0.2, 0.2),
    seed: int = 0,
) -> np.ndarray:
    """Assign every chip a split index (0 train, 1 val, 2 test) by whole groups.

    Groups are shuffled with ``seed`` and filled into splits until each reaches its share of
    chips; every split gets at least one group when there are ≥ 3 groups.
    """
    fractions = np.asarray(fractions, dtype=float)
    fractions = fractions / fractions.sum()
    uniq, counts = np.unique(groups, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(uniq))
    total = counts.sum()
    targets = np.cumsum(fractions) * total
    split_of_group = np.empty(len(uniq), dtype=np.int64)
    filled = 0
    current = 0
    for rank, gi in enumerate(order):
        remaining_groups = len(order) - rank
        # keep enough groups back so that every later split still gets one
        must_move = remaining_groups <= (len(fractions) - 1 - current)
        if current < len(fractions) - 1 and (filled >= targets[current] or must_move):
            current += 1
        split_of_group[gi] = current
        filled += counts[gi]
    lookup = dict(zip(uniq.tolist(), split_of_group.tolist()))
    return np.array([lookup[g] for g in groups.tolist()], dtype=np.int64)


def stratified_subset(
    indices: np.ndarray, strata: np.ndarray, fraction: float, seed: int
) -> np.ndarray:
    """A seeded subset of ``indices`` keeping ``fraction`` of each stratum (at least one each).

    Deterministic in ``(fraction, seed)``; ``fraction >= 1`` returns ``indices`` unchanged.
    """
    if fraction >= 1.0:
        return np.sort(indices)
    if fraction <= 0.0:
        raise ValueError(f"label fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    keep = []
    for s in np.unique(strata):
        members = indices[strata == s]
        n = max(1, round(fraction * len(members)))
        keep.append(rng.choice(members, size=n, replace=False))
    return np.sort(np.concatenate(keep))
