"""Spatial hold-out: stripe folds built from the points' own distribution.

Header extents lie (the IGN tile's header spans 1 km while its points sit in a ~100 m patch and a
thin strip), so stripes are cut at quantiles of the points along the axis with the larger robust
spread: each stripe holds the same number of points and no stripe is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StripeFolds:
    """``n_folds`` test stripes, each split into ``sub`` sub-stripes for a validation stripe.

    Fold ``k``: test = stripe ``k``; validation = the sub-stripe next to the test stripe (on the
    side away from the cloud's edge when there is one); train = the rest.
    """

    n_folds: int = 4
    sub: int = 2

    def stripe_axis(self, xy: np.ndarray) -> int:
        lo, hi = np.percentile(xy, [2, 98], axis=0)
        return int(np.argmax(hi - lo))

    def sub_stripes(self, xy: np.ndarray) -> np.ndarray:
        """Sub-stripe id in ``[0, n_folds * sub)`` of every point (equal point counts)."""
        axis = self.stripe_axis(xy)
        coord = xy[:, axis]
        n = self.n_folds * self.sub
        edges = np.quantile(coord, np.linspace(0, 1, n + 1)[1:-1])
        return np.searchsorted(edges, coord, side="right").astype(np.int64)

    def assign(self, xy: np.ndarray, fold: int) -> np.ndarray:
        """Split label per point: 0 train, 1 val, 2 test."""
        if not 0 <= fold < self.n_folds:
            raise ValueError(f"fold must be in [0, {self.n_folds}), got {fold}")
        s = self.sub_stripes(xy)
        n = self.n_folds * self.sub
        test = (s // self.sub) == fold
        val_stripe = (fold + 1) * self.sub if fold + 1 < self.n_folds else fold * self.sub - 1
        val = s == val_stripe % n
        out = np.zeros(len(xy), np.int8)
        out[val] = 1
        out[test] = 2
        return out
