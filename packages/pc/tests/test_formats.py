"""Toronto-3D, Semantic3D and SemanticKITTI readers on generated files in their formats."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.pc.formats import (
    SEMANTIC3D_CLASSES,
    SEMANTICKITTI_CLASSES,
    TORONTO3D_CLASSES,
    read_benchmark_cloud,
    read_semantic3d,
)


def _counts(cmap, cloud):
    labels = cmap.encode(cloud.classification)
    return {cmap.class_names[i]: int((labels == i).sum()) for i in np.unique(labels[labels >= 0])}


def test_toronto3d_ply(fixtures, make_data):
    cloud, cmap = read_benchmark_cloud(fixtures["toronto3d"])
    assert cmap is TORONTO3D_CLASSES
    xyz, _, _ = make_data.scene()
    np.testing.assert_allclose(cloud.xyz - (627285.0, 4841948.0, 0.0), xyz, atol=1e-6)
    assert cloud.crs.to_epsg() == 26917
    assert _counts(cmap, cloud) == {"road": 1200, "natural": 300, "building": 420}
    assert cloud.attributes["intensity"][0] == pytest.approx(40.0)


def test_semantic3d_txt_and_labels(fixtures, tmp_path):
    cloud, cmap = read_benchmark_cloud(fixtures["semantic3d"])
    assert cmap is SEMANTIC3D_CLASSES
    assert _counts(cmap, cloud) == {
        "natural_terrain": 1200,
        "high_vegetation": 300,
        "buildings": 420,
    }
    assert cloud.attributes["intensity"][0] == -1200.0
    short = tmp_path / "s.labels"
    short.write_text("1\n2\n")
    with pytest.raises(DataError, match="2 labels for 1920 points"):
        read_semantic3d(fixtures["semantic3d"], labels=short)


def test_semantickitti_bin_and_label(fixtures):
    cloud, cmap = read_benchmark_cloud(fixtures["semantickitti"])
    assert cmap is SEMANTICKITTI_CLASSES and cmap.num_classes == 19
    assert _counts(cmap, cloud) == {"road": 1200, "building": 420, "vegetation": 300}
    assert set(np.unique(cloud.attributes["instance"])) == {0, 3}
    assert cloud.xyz.dtype == np.float64 and len(cloud) == 1920


def test_truncated_kitti_scan_is_a_clear_error(tmp_path):
    bad = tmp_path / "000001.bin"
    bad.write_bytes(b"\0" * 18)
    with pytest.raises(DataError, match="not a multiple of 16"):
        read_benchmark_cloud(bad)
