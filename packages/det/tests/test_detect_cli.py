"""tools/detect.py: sliced detection of a UTM GeoTIFF written to a GeoPackage in its CRS."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

TOOL = Path(__file__).resolve().parents[3] / "tools" / "detect.py"


def _tool():
    spec = importlib.util.spec_from_file_location("detect_tool", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def weights(tmp_path):
    """A random yolov8n with spread class logits, saved as a local checkpoint."""
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO("yolov8n.yaml")
    with torch.no_grad():
        for p in model.model.model[-1].cv3.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    path = tmp_path / "random_yolov8n.pt"
    model.save(str(path))
    return path


def _scene(path: Path, crs: str | None = "EPSG:32617") -> Path:
    img = np.random.default_rng(0).integers(0, 255, (3, 160, 224), dtype=np.uint8)
    kw = {"crs": crs, "transform": from_origin(500000.0, 4100000.0, 0.5, 0.5)} if crs else {}
    with rasterio.open(
        path, "w", driver="GTiff", width=224, height=160, count=3, dtype="uint8", **kw
    ) as ds:
        ds.write(img)
    return path


def test_detections_land_on_the_rasters_ground_coordinates(tmp_path, weights):
    import geopandas as gpd

    from geoarena.det.slicer import SliceConfig, SlicedDetector

    scene = _scene(tmp_path / "scene.tif")
    out = tmp_path / "dets.gpkg"
    args = ["--weights", str(weights), "--input", str(scene), "--output", str(out)]
    args += ["--slice", "128", "--conf", "1e-9", "--backend", "torch"]
    assert _tool().main(args) == 0
    gdf = gpd.read_file(out, layer="detections")
    assert gdf.crs.to_epsg() == 32617
    assert {"label", "class_id", "score"} <= set(gdf.columns)
    # the same detections as the library call, geo-referenced with the raster's transform
    ref = SlicedDetector(weights, SliceConfig(slice_height=128, slice_width=128, conf=1e-9))
    pix = ref.predict_raster(scene)
    assert len(gdf) == len(pix["scores"]) > 0
    order = np.argsort(-gdf["score"].to_numpy(), kind="stable")
    bounds = gdf.geometry.bounds.to_numpy()[order]
    b = pix["boxes"]
    expect = np.stack(
        [
            500000.0 + 0.5 * b[:, 0],
            4100000.0 - 0.5 * b[:, 3],
            500000.0 + 0.5 * b[:, 2],
            4100000.0 - 0.5 * b[:, 1],
        ],
        1,
    )
    np.testing.assert_allclose(bounds, expect, atol=1e-6)
    assert gdf.label.iloc[0] in ref.yolo.names.values()


def test_missing_weights_and_ungeoreferenced_raster_are_clear_errors(tmp_path, weights, capsys):
    tool = _tool()
    scene = _scene(tmp_path / "scene.tif")
    rc = tool.main(
        ["--weights", str(tmp_path / "none.pt"), "--input", str(scene), "--output", "x.gpkg"]
    )
    assert rc == 2 and "none.pt: no such file; pass a local" in capsys.readouterr().err
    bare = _scene(tmp_path / "bare.tif", crs=None)
    rc = tool.main(
        ["--weights", str(weights), "--input", str(bare), "--output", str(tmp_path / "o.gpkg")]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "bare.tif" in err and "not geo-referenced" in err


def test_a_gpu_device_runs_the_torch_backend(monkeypatch):
    import torch

    from geoarena.core.errors import ConfigError

    pick = _tool().device_and_backend
    assert pick("cpu", None) == ("cpu", "onnxruntime")  # the CPU default is unchanged
    assert pick("cpu", "torch") == ("cpu", "torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick("auto", None) == ("cpu", "onnxruntime")  # never torch.device("auto")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    # onnxruntime's session is CPU-only: --device cuda used to leave the GPU idle
    assert pick("cuda", None) == ("cuda", "torch")
    assert pick("cuda:0", "torch") == ("cuda:0", "torch")
    with pytest.raises(ConfigError, match="onnxruntime runs on the CPU"):
        pick("cuda", "onnxruntime")
    with pytest.raises(ConfigError, match=r"--device cuda:1: 1 CUDA device\(s\) visible"):
        pick("cuda:1", None)


def test_a_bad_device_is_a_usage_error(tmp_path, capsys):
    args = ["--weights", "w.pt", "--input", "in.tif", "--output", str(tmp_path / "o.gpkg")]
    assert _tool().main([*args, "--device", "gpu"]) == 2
    assert "'gpu' is not cpu, cuda, cuda:N or auto" in capsys.readouterr().err
