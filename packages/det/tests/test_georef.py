"""Geo-referencing of pixel detections: known transforms, GeoPackage output, round trips."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import Affine

from geoarena.core.errors import DataError
from geoarena.det.boxes import xywhr_to_poly
from geoarena.det.georef import (
    boxes_to_polygons,
    crs_to_pixel,
    pixel_to_crs,
    vector_to_pixel_boxes,
    write_detections_gpkg,
)

UTM17N = "EPSG:32617"
# NEON OSBS-like grid: 10 cm pixels, origin at a UTM corner
NORTH_UP = Affine(0.1, 0.0, 404000.0, 0.0, -0.1, 3285000.0)
# the same grid rotated by 30° and sheared: must still map corner by corner
ROTATED = NORTH_UP @ Affine.rotation(30) @ Affine.shear(5, 0)


def _write_raster(path, transform, crs=UTM17N, size=64):
    data = np.zeros((3, size, size), dtype=np.uint8)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs=crs,
        transform=transform,
    ) as ds:
        ds.write(data)
    return path


def test_known_transform_puts_box_on_the_right_ground_coordinates(tmp_path):
    raster = _write_raster(tmp_path / "scene.tif", NORTH_UP)
    det = {
        "boxes": np.array([[10.0, 20.0, 30.0, 50.0]]),
        "scores": np.array([0.8]),
        "labels": np.array([0]),
    }
    gdf = write_detections_gpkg(det, raster, tmp_path / "det.gpkg", class_names=("tree",))
    back = gpd.read_file(tmp_path / "det.gpkg", layer="detections")
    assert back.crs.to_epsg() == 32617
    assert list(back["label"]) == ["tree"] and back["score"].iloc[0] == pytest.approx(0.8)
    # pixel (10, 20) → x = 404000 + 1.0, y = 3285000 - 2.0; (30, 50) → 404003.0, 3284995.0
    assert back.geometry.iloc[0].bounds == pytest.approx((404001.0, 3284995.0, 404003.0, 3284998.0))
    assert back.geometry.iloc[0].area == pytest.approx(2.0 * 3.0)
    assert gdf.geometry.iloc[0].equals_exact(back.geometry.iloc[0], 1e-9)


def test_wgs84_output_matches_pyproj(tmp_path):
    raster = _write_raster(tmp_path / "scene.tif", NORTH_UP)
    det = {
        "boxes": np.array([[0.0, 0.0, 10.0, 10.0]]),
        "scores": np.array([0.5]),
        "labels": np.array([0]),
    }
    gdf = write_detections_gpkg(det, raster, tmp_path / "det.gpkg", to_wgs84=True)
    lon, lat = Transformer.from_crs(UTM17N, 4326, always_xy=True).transform(404000.0, 3285000.0)
    assert gdf.crs.to_epsg() == 4326
    xs, ys = gdf.geometry.iloc[0].exterior.xy
    assert min(np.hypot(np.array(xs) - lon, np.array(ys) - lat)) < 1e-9
    assert -83 < lon < -81 and 29 < lat < 30  # north-central Florida, where OSBS is


def test_rotated_sheared_affine_maps_every_corner():
    box = np.array([[4.0, 2.0, 14.0, 7.0]])
    poly = boxes_to_polygons(box, ROTATED)[0]
    corners = np.array([[4, 2], [14, 2], [14, 7], [4, 7]], dtype=float)
    expected = np.array([ROTATED @ tuple(c) for c in corners])
    np.testing.assert_allclose(np.asarray(poly.exterior.coords)[:-1], expected, atol=1e-9)
    # a sheared grid turns the rectangle into a parallelogram of area |det| * pixel area
    assert poly.area == pytest.approx(abs(ROTATED.determinant) * 50)


def test_obb_round_trip_through_geopackage_within_1e6_px(tmp_path):
    raster = _write_raster(tmp_path / "scene.tif", ROTATED)
    rng = np.random.default_rng(0)
    xywhr = np.column_stack(
        [
            rng.uniform(5, 60, 20),
            rng.uniform(5, 60, 20),
            rng.uniform(2, 12, 20),
            rng.uniform(1, 6, 20),
            rng.uniform(-1.5, 1.5, 20),
        ]
    )
    quads = xywhr_to_poly(xywhr)
    det = {"boxes": quads, "scores": rng.random(20), "labels": rng.integers(0, 2, 20)}
    write_detections_gpkg(
        det,
        raster,
        tmp_path / "obb.gpkg",
        class_names=("car", "ship"),
        box_type="obb",
        to_wgs84=True,
    )
    layer = gpd.read_file(tmp_path / "obb.gpkg")
    with rasterio.open(raster) as ds:
        back = vector_to_pixel_boxes(
            layer,
            ds.transform,
            ds.crs,
            label_column="label",
            class_names=("car", "ship"),
            box_type="obb",
        )
    # the WGS84 hop is lossy only at the ~1e-9 m level; corners come back in their order
    assert np.abs(back["boxes"] - quads).max() < 1e-6
    np.testing.assert_array_equal(back["labels"], det["labels"])


def test_pixel_crs_inverse_is_exact():
    pts = np.random.default_rng(1).uniform(0, 1000, (100, 2))
    np.testing.assert_allclose(crs_to_pixel(pixel_to_crs(pts, ROTATED), ROTATED), pts, atol=1e-6)


def test_reverse_path_clips_and_drops_outside_labels(tmp_path):
    raster = _write_raster(tmp_path / "scene.tif", NORTH_UP)
    inside = boxes_to_polygons(np.array([[10.0, 10.0, 20.0, 20.0]]), NORTH_UP)[0]
    straddling = boxes_to_polygons(np.array([[60.0, 0.0, 70.0, 10.0]]), NORTH_UP)[0]
    outside = boxes_to_polygons(np.array([[100.0, 100.0, 110.0, 110.0]]), NORTH_UP)[0]
    layer = gpd.GeoDataFrame(
        {"cls": ["a", "b", "a"]}, geometry=[inside, straddling, outside], crs=UTM17N
    ).to_crs(3857)
    layer.to_file(tmp_path / "labels.gpkg")
    with rasterio.open(raster) as ds:
        out = vector_to_pixel_boxes(
            tmp_path / "labels.gpkg",
            ds.transform,
            ds.crs,
            "cls",
            ("a", "b"),
            width=64,
            height=64,
            min_visible=0.3,
        )
    np.testing.assert_allclose(out["boxes"], [[10, 10, 20, 20], [60, 0, 64, 10]], atol=1e-6)
    np.testing.assert_array_equal(out["labels"], [0, 1])


def test_unreferenced_raster_and_unreadable_vector_raise_dataerror(tmp_path):
    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8") as ds:
        ds.write(np.zeros((1, 8, 8), dtype=np.uint8))
    with pytest.raises(DataError, match=r"plain\.tif.*not geo-referenced"):
        write_detections_gpkg({"boxes": np.zeros((0, 4))}, plain, tmp_path / "x.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(DataError, match=r"bad\.geojson"):
        vector_to_pixel_boxes(bad, NORTH_UP, UTM17N)
