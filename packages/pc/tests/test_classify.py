"""Tiled classification writes a LAS/LAZ that keeps points, header and CRS, with our labels."""

from __future__ import annotations

from dataclasses import replace

import laspy
import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.pc.asprs import GROUND_VEGETATION_BUILDING as CMAP
from geoarena.pc.classify import TilingConfig, classify_las, write_classified_las
from geoarena.pc.features import FeatureConfig, compute_features
from geoarena.pc.io import read_las

FEATS = FeatureConfig(knn_scales=(8, 20), height_radii_m=(2.0, 5.0))


@pytest.fixture(scope="module")
def forest(fixtures):
    from sklearn.ensemble import RandomForestClassifier

    cloud = read_las(fixtures["las"])
    x, _ = compute_features(cloud, FEATS)
    y = CMAP.encode(cloud.classification)
    return RandomForestClassifier(30, random_state=0, n_jobs=1).fit(x[y >= 0], y[y >= 0])


@pytest.mark.parametrize("suffix", [".las", ".laz"])
def test_classified_output_keeps_points_header_crs_and_prediction(
    fixtures, forest, tmp_path, suffix
):
    src = fixtures["laz"]
    out = tmp_path / f"classified{suffix}"
    res = classify_las(
        src,
        out,
        lambda xyz, f, n: forest.predict_proba(f[:n]),
        CMAP,
        TilingConfig(tile_m=8.0, halo_m=4.0, chunk_points=500, features=FEATS),
    )
    assert res["tiles"] > 4
    a, b = laspy.read(src), laspy.read(out)
    assert len(b.points) == len(a.points) == res["points"]
    np.testing.assert_array_equal(b.header.scales, a.header.scales)
    np.testing.assert_array_equal(b.header.offsets, a.header.offsets)
    assert b.header.parse_crs() == a.header.parse_crs() and b.header.parse_crs().to_epsg() == 2154
    np.testing.assert_array_equal(b.X, a.X)
    np.testing.assert_array_equal(b.red, a.red)
    np.testing.assert_array_equal(b.classification, res["predictions"])
    truth = CMAP.encode(np.asarray(a.classification))
    assert (CMAP.encode(np.asarray(b.classification)) == truth).mean() > 0.95
    assert set(np.unique(b.classification)) <= {2, 3, 6}  # vegetation is written as ASPRS 3


def test_single_tile_equals_whole_cloud_prediction(fixtures, forest, tmp_path):
    src = fixtures["las"]
    res = classify_las(
        src,
        tmp_path / "one.las",
        lambda xyz, f, n: forest.predict_proba(f[:n]),
        CMAP,
        TilingConfig(tile_m=1000.0, features=FEATS),
    )
    feats, _ = compute_features(
        read_las(src), replace(FEATS, intensity_scale=res["intensity_scale"])
    )
    expected = CMAP.decode(forest.predict(feats))
    np.testing.assert_array_equal(res["predictions"], expected)


def test_wrong_prediction_count_is_a_clear_error(fixtures, tmp_path):
    with pytest.raises(DataError, match="3 predictions for 1920 points"):
        write_classified_las(fixtures["las"], np.zeros(3, np.uint8), tmp_path / "x.las")
    with pytest.raises(DataError, match="empty point cloud"):
        classify_las(fixtures["empty"], tmp_path / "y.las", lambda x, f, n: f, CMAP)


def test_pointwise_predictor_gets_core_features_only_and_predicts_the_same(
    fixtures, forest, tmp_path
):
    """A ``pointwise`` predictor sees only the tiles' own points' features (computed with the
    halo as neighbourhood), batched over tiles, and predicts exactly what the per-window
    predictor does on the same tiling."""
    from geoarena.pc.classify import pointwise

    cfg = TilingConfig(tile_m=8.0, halo_m=4.0, chunk_points=500, features=FEATS)
    seen: list[tuple[int, int]] = []

    def windowed(xyz, f, n):
        return forest.predict_proba(f[:n])

    @pointwise
    def per_point(xyz, f, n):
        seen.append((len(f), n))
        return forest.predict_proba(f)

    a = classify_las(fixtures["laz"], tmp_path / "a.las", windowed, CMAP, cfg)
    b = classify_las(
        fixtures["laz"], tmp_path / "b.las", per_point, CMAP, replace(cfg, predict_points=400)
    )
    np.testing.assert_array_equal(a["predictions"], b["predictions"])
    assert all(rows == n for rows, n in seen)  # only target rows, never halo rows
    assert sum(n for _, n in seen) == a["points"]
    assert 1 < len(seen) < b["tiles"]  # batched across tiles, flushed at ~400 points


def test_target_only_features_equal_the_whole_window_features(fixtures):
    cloud = read_las(fixtures["las"])
    full, names = compute_features(cloud, FEATS)
    part, names_part = compute_features(cloud, FEATS, n_target=300)
    assert names_part == names and part.shape == (300, full.shape[1])
    np.testing.assert_array_equal(part, full[:300])
