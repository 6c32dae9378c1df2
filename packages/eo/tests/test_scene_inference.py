"""Streaming scene inference: equals the in-memory blend, no seams, georeferenced COG + GeoPackage."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from geoarena.core.errors import DataError
from geoarena.eo.inference import PredictConfig, predict_scene, vectorize_classes
from geoarena.eo.inference.blending import d4_predict, window_weight
from geoarena.eo.inference.scene import in_memory_predict


def _write(path, data, nodata=None):
    c, h, w = data.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=c,
        dtype=data.dtype,
        crs="EPSG:32616",
        transform=from_origin(733601.0, 3725139.0, 0.5, 0.5),
        nodata=nodata,
    ) as dst:
        dst.write(data)
    return path


def _net(padding_mode: str = "zeros") -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1, padding_mode=padding_mode),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 3, 3, padding=1, padding_mode=padding_mode),
    ).eval()


def test_streaming_equals_in_memory_recipe_and_keeps_georeferencing(tmp_path):
    data = np.random.default_rng(0).integers(0, 1000, size=(3, 150, 170), dtype=np.uint16)
    src = _write(tmp_path / "in.tif", data)
    cfg = PredictConfig(
        window=64, stride=40, batch_size=3, num_classes=3, mean=(500,) * 3, std=(300,) * 3
    )
    summary = predict_scene(_net(), src, tmp_path / "out.tif", cfg, prob_path=tmp_path / "p.tif")
    assert summary["windows"] == 4 * 4
    with rasterio.open(tmp_path / "out.tif") as out, rasterio.open(src) as ref:
        assert out.crs == ref.crs and out.transform == ref.transform and out.shape == ref.shape
        assert out.profile["tiled"] and out.profile["compress"] == "deflate"
        assert out.overviews(1) == [] or out.overviews(1)[0] >= 2
        streamed = out.read(1)
    np.testing.assert_array_equal(streamed, in_memory_predict(_net(), src, cfg))
    assert len(np.unique(streamed)) > 1
    with rasterio.open(tmp_path / "p.tif") as p:
        probs = p.read().astype(int)
    assert p.count == 3 and np.abs(probs.sum(0) - 255).max() <= 2


@pytest.mark.parametrize("extra", [{}, {"tta": True}, {"scales": (1.0, 0.5)}, {"blend": "cosine"}])
def test_constant_input_gives_constant_prediction_without_seams(tmp_path, extra):
    src = _write(tmp_path / "const.tif", np.full((3, 130, 140), 321, dtype=np.uint16))
    cfg = PredictConfig(
        window=48, stride=30, batch_size=4, num_classes=3, mean=(300,) * 3, std=(50,) * 3, **extra
    )
    predict_scene(_net("replicate"), src, tmp_path / "c.tif", cfg, prob_path=tmp_path / "cp.tif")
    with rasterio.open(tmp_path / "c.tif") as c, rasterio.open(tmp_path / "cp.tif") as p:
        assert len(np.unique(c.read(1))) == 1
        probs = p.read()
    # every probability band is one value over the whole scene: no stripe at window seams
    assert all(len(np.unique(band)) == 1 for band in probs)


def test_nodata_pixels_get_the_nodata_class_and_vectorisation_keeps_crs(tmp_path):
    data = np.full((3, 96, 96), 200, dtype=np.uint16)
    data[:, 20:50, 30:70] = 900
    data[:, :8, :8] = 0
    src = _write(tmp_path / "nd.tif", data, nodata=0)

    class Threshold(torch.nn.Module):
        def forward(self, x):  # class 1 where bright
            return torch.cat([-x[:, :1], x[:, :1]], 1) * 10

    cfg = PredictConfig(window=32, stride=24, num_classes=2, mean=(500,) * 3, std=(100,) * 3)
    predict_scene(Threshold(), src, tmp_path / "o.tif", cfg)
    with rasterio.open(tmp_path / "o.tif") as o:
        cls = o.read(1)
        assert o.nodata == 255
    assert (cls[:8, :8] == 255).all() and (cls[20:50, 30:70] == 1).all() and cls[80, 80] == 0
    n = vectorize_classes(
        tmp_path / "o.tif", tmp_path / "o.gpkg", classes=[1], class_names=("bg", "bright")
    )
    import geopandas as gpd

    gdf = gpd.read_file(tmp_path / "o.gpkg")
    assert n == 1 and gdf.crs.to_epsg() == 32616 and gdf["class_name"].tolist() == ["bright"]
    assert gdf.geometry.area.iloc[0] == pytest.approx(30 * 40 * 0.25)


def test_window_weights_and_d4_tta():
    g = window_weight(16)
    assert g.shape == (16, 16) and g.max() == 1 and g[0, 0] < 0.05 and np.allclose(g, g.T)
    assert window_weight(8, "none").min() == 1
    x = torch.randn(2, 3, 8, 8)
    net = _net()
    with torch.no_grad():
        y = d4_predict(net, x)
        # TTA of an input and of its rotation agree after rotating back
        y_rot = d4_predict(net, torch.rot90(x, 1, dims=(2, 3)))
    torch.testing.assert_close(torch.rot90(y_rot, -1, dims=(2, 3)), y, atol=1e-5, rtol=1e-5)


def test_band_count_mismatch_is_a_data_error(tmp_path):
    src = _write(tmp_path / "b.tif", np.zeros((2, 64, 64), np.uint16))
    with pytest.raises(DataError, match="expects 3 bands, raster provides 2"):
        predict_scene(
            _net(),
            src,
            tmp_path / "x.tif",
            PredictConfig(window=32, stride=32, mean=(0,) * 3, std=(1,) * 3),
        )


def test_nan_pixels_stay_nodata_and_do_not_leak(tmp_path):
    """Float rasters without a nodata value: NaN pixels become the nodata class (255), an
    all-NaN raster is nodata everywhere (not class 0), and valid pixels far from the NaN hole
    keep the prediction of the NaN-free raster."""
    rng = np.random.default_rng(1)
    data = rng.normal(0, 1, size=(3, 96, 96)).astype(np.float32)
    cfg = PredictConfig(window=64, stride=32, num_classes=3)
    clean = predict_scene(_net(), _write(tmp_path / "c.tif", data), tmp_path / "co.tif", cfg)
    holed = data.copy()
    holed[:, 40:50, 40:50] = np.nan
    holed[1, 5, 5] = np.nan  # one band missing is missing too
    predict_scene(_net(), _write(tmp_path / "h.tif", holed), tmp_path / "ho.tif", cfg)
    with rasterio.open(tmp_path / "ho.tif") as out, rasterio.open(tmp_path / "co.tif") as ref:
        got, want = out.read(1), ref.read(1)
        assert out.nodata == 255 and out.crs == ref.crs and out.transform == ref.transform
    assert (got[40:50, 40:50] == 255).all() and got[5, 5] == 255
    assert (got != 255).sum() == 96 * 96 - 101
    assert clean["windows"] == 4
    # the receptive field of the two 3×3 convolutions is 2 px: beyond it nothing changed
    far = np.ones_like(got, bool)
    far[37:53, 37:53] = False
    far[2:9, 2:9] = False
    np.testing.assert_array_equal(got[far], want[far])
    nan = np.full((3, 64, 64), np.nan, np.float32)
    predict_scene(_net(), _write(tmp_path / "n.tif", nan), tmp_path / "no.tif", cfg)
    with rasterio.open(tmp_path / "no.tif") as out:
        assert (out.read(1) == 255).all() and out.nodata == 255
