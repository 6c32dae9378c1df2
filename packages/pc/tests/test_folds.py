"""Spatial stripe folds built from the points, not the header extent."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from geoarena.pc.folds import StripeFolds


def _cloud():
    rng = np.random.default_rng(0)
    patch = rng.uniform([0, 900], [100, 1000], (8000, 2))  # ~100 m patch in a corner
    strip = rng.uniform([990, 0], [1000, 1000], (800, 2))  # thin strip on the far edge
    return np.vstack([patch, strip])


def test_every_point_is_tested_exactly_once_and_splits_are_disjoint():
    xy = _cloud()
    folds = StripeFolds()
    tested = np.zeros(len(xy), int)
    for k in range(4):
        s = folds.assign(xy, k)
        tested += s == 2
        assert 0.2 < (s == 2).mean() < 0.3 and 0.1 < (s == 1).mean() < 0.15
        assert (s == 0).mean() > 0.55
    assert np.all(tested == 1)


def test_stripes_are_spatially_contiguous_and_follow_the_points():
    xy = _cloud()
    folds = StripeFolds()
    axis = folds.stripe_axis(xy)
    s = folds.sub_stripes(xy)
    # equal point counts per sub-stripe even though 90 % of the header extent is empty
    np.testing.assert_allclose(np.bincount(s), len(xy) / 8, rtol=0.01)
    bounds = [(xy[s == i, axis].min(), xy[s == i, axis].max()) for i in range(8)]
    assert all(b[1] <= c[0] for b, c in pairwise(bounds))
    for k in range(4):
        split = folds.assign(xy, k)
        test_lo, test_hi = xy[split == 2, axis].min(), xy[split == 2, axis].max()
        train = xy[split == 0, axis]
        assert not np.any((train > test_lo) & (train < test_hi))
