"""The map server: TiTiler tiles against an independent reprojection, the layer description,
and (slow) the page in headless Chromium: overlay pixels where the COG's classes are, Leaflet's
tile bounds equal to morecantile's."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import morecantile
import numpy as np
import pytest
from PIL import Image
from pyproj import Transformer
from serve_synthetic import CRS, GSD, ORIGIN, SIZE, quadrant_classes

from geoarena.serve.mapserver import PALETTE, MapLayers, create_app

TMS = morecantile.tms.get("WebMercatorQuad")
RED = PALETTE[1][:3]


def _expected_tile_classes(z: int, x: int, y: int) -> np.ndarray:
    """Class under each pixel centre of tile z/x/y, computed without rio-tiler: morecantile's
    tile bounds → Web Mercator pixel centres → UTM (pyproj) → the class array (-1 outside)."""
    b = TMS.xy_bounds(x, y, z)
    step = (b.right - b.left) / 256
    cx = b.left + (np.arange(256) + 0.5) * step
    cy = b.top - (np.arange(256) + 0.5) * step
    mx, my = np.meshgrid(cx, cy)
    ux, uy = Transformer.from_crs(3857, CRS, always_xy=True).transform(mx, my)
    col = np.floor((ux - ORIGIN[0]) / GSD).astype(int)
    row = np.floor((ORIGIN[1] - uy) / GSD).astype(int)
    inside = (col >= 0) & (col < SIZE) & (row >= 0) & (row < SIZE)
    out = np.full((256, 256), -1)
    out[inside] = quadrant_classes()[row[inside], col[inside]]
    return out


def test_prediction_tiles_match_an_independent_reprojection(quadrant_scene):
    from fastapi.testclient import TestClient

    scene, classes = quadrant_scene
    client = TestClient(create_app(MapLayers(scene, classes, classes=["background", "building"])))
    desc = client.get("/layers.json").json()
    assert [c["name"] for c in desc["classes"]] == ["background", "building"]
    assert desc["classes"][1]["color"] == list(PALETTE[1])
    west, south, east, north = desc["prediction"]["bounds"]
    z = 19
    tiles = list(TMS.tiles(west, south, east, north, [z]))
    assert len(tiles) >= 2  # the scene (128 m) spans several tiles at z19 (~76 m)
    red_expected = red_got = 0
    for t in tiles:
        url = desc["prediction"]["tiles"].format(z=t.z, x=t.x, y=t.y)
        r = client.get(url)
        assert r.status_code == 200, r.text
        rgba = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))
        got_red = (rgba[..., :3] == RED).all(-1) & (rgba[..., 3] == 255)
        want = _expected_tile_classes(t.z, t.x, t.y)
        # nearest resampling: every pixel agrees except at most a 1-pixel seam along the
        # quadrant's edges (GDAL's approximate warp transformer, 1/8 px error)
        disagree = got_red != (want == 1)
        assert disagree.mean() < 0.01, (t, disagree.sum())
        red_expected += int((want == 1).sum())
        red_got += int(got_red.sum())
    assert red_expected > 10_000
    assert abs(red_got - red_expected) / red_expected < 0.01


def test_layers_refuse_unknown_layer_and_missing_file(quadrant_scene, tmp_path):
    from fastapi.testclient import TestClient

    from geoarena.core.errors import DataError

    scene, classes = quadrant_scene
    client = TestClient(create_app(MapLayers(scene, classes)))
    r = client.get("/cog/tiles/WebMercatorQuad/19/0/0.png?layer=/etc/passwd")
    assert r.status_code == 404
    with pytest.raises(DataError, match=r"missing\.tif: prediction raster not found"):
        create_app(MapLayers(scene, tmp_path / "missing.tif"))


@pytest.mark.slow
def test_page_in_headless_chromium_shows_the_classes_where_the_cog_has_them(quadrant_scene):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from geoarena.serve.mapserver import STATIC

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (apt-get install chromium)"
    scene, classes = quadrant_scene
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [
            sys.executable,
            str(repo / "tools/serve_map.py"),
            "--scene",
            str(scene),
            "--prediction",
            str(classes),
            "--classes",
            "background",
            "building",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("map: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[1]
        requested: list[tuple[int, int, int]] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 800, "height": 600})

            def on_request(req):
                if "layer=prediction" in req.url:
                    z, x, y = (
                        req.url.split("/tiles/WebMercatorQuad/")[1].split(".png")[0].split("/")
                    )
                    requested.append((int(z), int(x), int(y)))

            page.on("request", on_request)
            for _ in range(50):  # the server may need a moment after printing its URL
                try:
                    page.goto(url + "?opacity=1")
                    break
                except PlaywrightError:  # connection refused until the server listens
                    time.sleep(0.2)
            page.wait_for_function("window.geoarena && window.geoarena.ready", timeout=60_000)
            page.wait_for_timeout(300)  # the last tiles' fade-in
            png = page.screenshot()
            # the four quadrants' interior points (UTM) → lon/lat → the map's container pixels
            to_ll = Transformer.from_crs(CRS, 4326, always_xy=True)
            samples = []
            for i in np.linspace(0.1, 0.9, 9):
                for j in np.linspace(0.1, 0.9, 9):
                    if abs(i - 0.5) < 0.06 or abs(j - 0.5) < 0.06:
                        continue  # keep off the quadrant seams
                    e = ORIGIN[0] + j * SIZE * GSD
                    n = ORIGIN[1] - i * SIZE * GSD
                    lon, lat = to_ll.transform(e, n)
                    samples.append((i < 0.5 and j > 0.5, lon, lat))
            points = page.evaluate(
                "pts => pts.map(p => { const c = window.geoarena.map.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; })",
                [[lon, lat] for _, lon, lat in samples],
            )
            bounds = page.evaluate(
                """tiles => tiles.map(t => {
                    const m = window.geoarena.map, p = L.point(t[1] * 256, t[2] * 256);
                    const nw = m.unproject(p, t[0]), se = m.unproject(p.add([256, 256]), t[0]);
                    return [nw.lng, se.lat, se.lng, nw.lat];
                })""",
                [list(t) for t in sorted(set(requested))],
            )
            legend = page.inner_text("#legend")
            panels = [
                page.locator(sel).bounding_box() for sel in ("#panel", ".leaflet-control-layers")
            ]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    shot = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    if os.environ.get("GEOARENA_MAP_SCREENSHOT"):
        Path(os.environ["GEOARENA_MAP_SCREENSHOT"]).write_bytes(png)
    assert "building" in legend and "background" in legend
    checked = checked_ne = 0
    for (is_ne, _, _), (px, py) in zip(samples, points):
        if any(
            b["x"] <= px <= b["x"] + b["width"] and b["y"] <= py <= b["y"] + b["height"]
            for b in panels
        ):
            continue  # under the legend or the layer switch
        checked += 1
        checked_ne += is_ne
        rgb = shot[round(py), round(px)]
        is_red = np.abs(rgb - RED).max() <= 8
        assert is_red == is_ne, (is_ne, px, py, rgb)
    assert checked >= 40 and checked_ne >= 8, (checked, checked_ne)
    assert requested, "no prediction tile was requested"
    for (z, x, y), got in zip(sorted(set(requested)), bounds):
        want = TMS.bounds(x, y, z)
        assert np.allclose(got, [want.left, want.bottom, want.right, want.top], atol=1e-9, rtol=0)
    assert (STATIC / "vendor/leaflet/LICENSE").read_text().startswith("BSD 2-Clause")
