"""Geometric features: eigenvalue features, metric heights (feet handled), grid subsampling."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.pc.features import (
    EIGEN_FEATURES,
    FeatureConfig,
    compute_features,
    eigen_features,
    grid_subsample,
    local_covariances,
)
from geoarena.pc.io import read_cloud


def test_eigen_features_of_a_plane_and_a_line():
    rng = np.random.default_rng(0)
    plane = np.column_stack([rng.uniform(0, 10, (500, 2)), np.zeros(500)])
    f = dict(zip(EIGEN_FEATURES, eigen_features(local_covariances(plane, 20)).mean(axis=0)))
    assert f["planarity"] > 0.5 and f["scattering"] < 0.01 and f["verticality"] < 0.01
    line = np.column_stack([np.linspace(0, 10, 300), np.zeros(300), np.zeros(300)]) + rng.normal(
        0, 1e-3, (300, 3)
    )
    assert eigen_features(local_covariances(line, 10))[:, 0].mean() > 0.95  # linearity


def test_heights_are_metric_in_metres_and_in_feet(fixtures):
    cfg = FeatureConfig(knn_scales=(10,), height_radii_m=(3.0, 12.0))
    m, names = compute_features(read_cloud(fixtures["las"]), cfg)
    ft, _ = compute_features(read_cloud(fixtures["feet"]), cfg)
    h = names.index("height_above_min_r12")
    cls = read_cloud(fixtures["las"]).classification
    roof = m[cls == 6, h]
    assert np.median(roof) == pytest.approx(
        6.0 + 0.05 * 18, abs=1.0
    )  # roof 6 m over a sloping ground
    np.testing.assert_allclose(np.median(ft[cls == 6, h]), np.median(roof), atol=0.1)
    assert np.median(m[cls == 2, h]) < 1.0


def test_attribute_features_present_only_when_the_file_has_them(fixtures):
    _, with_rgb = compute_features(read_cloud(fixtures["las"]), FeatureConfig(knn_scales=(10,)))
    _, without = compute_features(read_cloud(fixtures["no_rgb"]), FeatureConfig(knn_scales=(10,)))
    assert {"red", "green", "blue", "intensity", "return_ratio"} <= set(with_rgb)
    assert "red" not in without and "intensity" in without
    assert len(with_rgb) == 8 + 4 + 6


def test_grid_subsample_maps_every_point_back():
    rng = np.random.default_rng(1)
    xyz = rng.uniform(0, 4, (5000, 3))
    keep, inverse = grid_subsample(xyz, 1.0)
    assert len(keep) == 64
    vox = np.floor(xyz - xyz.min(axis=0))
    assert np.all(vox[keep][inverse] == vox)  # each point's representative shares its voxel
    assert np.all(np.diff(keep) > 0)
