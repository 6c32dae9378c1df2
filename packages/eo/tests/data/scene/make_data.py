"""Write a tiny labelled GeoTIFF scene in the SpaceNet sample's layout (uint16, UTM 16N, 0.5 m,
nodata 0) with building polygons as GeoJSON in EPSG:32616 and in EPSG:4326 (to exercise label
reprojection), plus broken variants for error tests.

Run: ``python make_data.py <out_dir>`` (tests call ``make_scene(out_dir)``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SIZE = 128  # pixels
ORIGIN = (733601.0, 3725139.0)  # SpaceNet-4 Atlanta sample's upper-left corner
RES = 0.5
BANDS = ("red", "green", "nir")
#: building rectangles in pixel coordinates (col0, row0, col1, row1)
BUILDINGS = [
    (10, 12, 30, 28),
    (70, 8, 90, 40),
    (40, 60, 64, 76),
    (96, 90, 120, 118),
    (8, 96, 30, 110),
]


def make_scene(out: Path) -> dict[str, Path]:
    import geopandas as gpd
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    transform = from_origin(*ORIGIN, RES, RES)
    img = rng.normal(300, 40, size=(len(BANDS), SIZE, SIZE))
    for c0, r0, c1, r1 in BUILDINGS:  # roofs: bright in red/green, dark in nir
        img[0, r0:r1, c0:c1] += 500
        img[1, r0:r1, c0:c1] += 400
        img[2, r0:r1, c0:c1] -= 150
    img = np.clip(img, 1, None).astype("uint16")
    img[:, :4, -6:] = 0  # a nodata corner
    profile = dict(
        driver="GTiff",
        width=SIZE,
        height=SIZE,
        count=len(BANDS),
        dtype="uint16",
        crs="EPSG:32616",
        transform=transform,
        nodata=0,
    )
    paths = {"raster": out / "scene.tif"}
    with rasterio.open(paths["raster"], "w", **profile) as dst:
        dst.write(img)
    polys = [box(*(transform @ (c0, r1)), *(transform @ (c1, r0))) for c0, r0, c1, r1 in BUILDINGS]
    gdf = gpd.GeoDataFrame({"building": ["yes"] * len(polys)}, geometry=polys, crs="EPSG:32616")
    paths["labels_utm"] = out / "labels_utm.geojson"
    paths["labels_wgs84"] = out / "labels_wgs84.geojson"
    gdf.to_file(paths["labels_utm"], driver="GeoJSON")
    gdf.to_crs("EPSG:4326").to_file(paths["labels_wgs84"], driver="GeoJSON")
    # far away labels (a CRS mix-up: same numbers, other zone)
    paths["labels_elsewhere"] = out / "labels_elsewhere.geojson"
    gdf.set_crs("EPSG:32617", allow_override=True).to_file(
        paths["labels_elsewhere"], driver="GeoJSON"
    )
    # un-georeferenced copy (no CRS, no transform)
    paths["raster_nocrs"] = out / "scene_nocrs.tif"
    with rasterio.open(
        paths["raster_nocrs"],
        "w",
        driver="GTiff",
        width=SIZE,
        height=SIZE,
        count=len(BANDS),
        dtype="uint16",
    ) as dst:
        dst.write(img)
    # corrupt raster: a valid header cut short
    paths["corrupt"] = out / "corrupt.tif"
    paths["corrupt"].write_bytes(paths["raster"].read_bytes()[:700])
    return paths


if __name__ == "__main__":
    for k, v in make_scene(
        Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "out")
    ).items():
        print(k, v)
