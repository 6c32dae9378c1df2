"""LAS/LAZ/PLY/PCD reading: georeference kept, bad input raises DataError naming the file."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.core.errors import DataError, NotInstalledError
from geoarena.pc import o3d
from geoarena.pc.io import read_cloud, read_las, write_open3d


def test_las_and_laz_read_identically_with_crs(fixtures, make_data):
    las = read_cloud(fixtures["las"])
    laz = read_cloud(fixtures["laz"])
    xyz, cls, _ = make_data.scene()
    assert len(las) == len(laz) == len(xyz)
    np.testing.assert_allclose(las.xyz, xyz + make_data.ORIGIN, atol=0.006)  # 0.01 scale
    np.testing.assert_array_equal(las.xyz, laz.xyz)
    np.testing.assert_array_equal(las.classification, cls)
    assert las.crs.to_epsg() == 2154 and laz.crs.to_epsg() == 2154
    assert las.unit_to_metre == 1.0
    assert {"red", "green", "blue", "intensity", "return_number"} <= set(las.attributes)
    np.testing.assert_array_equal(las.header.scales, [0.01, 0.01, 0.01])


def test_us_survey_feet_unit_is_read_from_the_crs(fixtures):
    c = read_cloud(fixtures["feet"])
    assert c.crs.to_epsg() == 6880
    assert c.unit_to_metre == pytest.approx(1200 / 3937)


def test_empty_las_is_a_clear_error(fixtures):
    with pytest.raises(DataError, match="empty point cloud") as err:
        read_las(fixtures["empty"])
    assert err.value.path == fixtures["empty"]
    assert "empty.las" in str(err.value)


def test_missing_dimensions_are_named(fixtures):
    with pytest.raises(DataError, match=r"missing point dimensions \['red', 'nir'\]") as err:
        read_las(fixtures["no_rgb"], require=("classification", "red", "nir"))
    assert "no_rgb.las" in str(err.value)


def test_nan_coordinates_are_a_clear_error(fixtures):
    with pytest.raises(DataError, match="1 of 20 points have NaN") as err:
        read_cloud(fixtures["nan_ply"])
    assert "nan.ply" in str(err.value)


def test_missing_corrupt_and_unknown_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_cloud(tmp_path / "absent.laz")
    bad = tmp_path / "garbage.las"
    bad.write_bytes(b"not a las file at all" * 10)
    with pytest.raises(DataError, match="cannot read LAS/LAZ") as err:
        read_cloud(bad)
    assert "garbage.las" in str(err.value)
    with pytest.raises(DataError, match="unsupported point-cloud format"):
        read_cloud(tmp_path / "x.e57")


def test_pcd_and_ply_roundtrip_through_open3d(fixtures, tmp_path):
    pcd = read_cloud(fixtures["pcd"])
    assert len(pcd) == 1920 and "intensity" in pcd.attributes
    las = read_cloud(fixtures["las"])
    out = write_open3d(las, tmp_path / "scene.ply")
    back = read_cloud(out)
    np.testing.assert_allclose(back.xyz, las.xyz)
    np.testing.assert_array_equal(back.attributes["red"], las.attributes["red"])
    np.testing.assert_allclose(back.attributes["intensity"], las.attributes["intensity"])


def test_open3d_import_failure_names_libusb(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "open3d":
            raise ImportError("libusb-1.0.so.0: cannot open shared object file")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(NotInstalledError, match=r"apt-get install -y libusb-1\.0-0"):
        o3d.open3d()
