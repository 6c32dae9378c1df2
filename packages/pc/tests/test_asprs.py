"""ASPRS class tables and the mappings to compact label spaces."""

from __future__ import annotations

import numpy as np

from geoarena.pc.asprs import (
    ASPRS_CLASSES,
    GROUND_VEGETATION_BRIDGE,
    GROUND_VEGETATION_BUILDING,
    IGNORE,
)


def test_standard_codes():
    assert (
        ASPRS_CLASSES[2] == "ground"
        and ASPRS_CLASSES[6] == "building"
        and ASPRS_CLASSES[17] == "bridge_deck"
    )


def test_encode_merges_vegetation_and_ignores_noise():
    codes = np.array([2, 3, 4, 5, 6, 7, 1, 0])
    np.testing.assert_array_equal(
        GROUND_VEGETATION_BUILDING.encode(codes), [0, 1, 1, 1, 2, IGNORE, IGNORE, IGNORE]
    )
    np.testing.assert_array_equal(
        GROUND_VEGETATION_BRIDGE.encode(np.array([17, 65, 5])), [2, IGNORE, 1]
    )


def test_decode_gives_back_asprs_codes():
    np.testing.assert_array_equal(GROUND_VEGETATION_BUILDING.decode(np.array([0, 1, 2])), [2, 3, 6])
    np.testing.assert_array_equal(
        GROUND_VEGETATION_BRIDGE.decode(np.array([2, 1]), {"vegetation": 5}), [17, 5]
    )
