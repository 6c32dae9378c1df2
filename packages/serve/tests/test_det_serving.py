"""The detection leaf's serving export: pyfunc rows equal the sliced detector's, and
tools/predict.py writes the detections GeoPackage in the image's CRS."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geoarena.core.model import ExportedModel
from geoarena.serve.mlflow_model import load_predictor, save_model

N_CLASSES = 80  # yolov8n.yaml


@pytest.fixture
def det_model(tmp_path) -> Path:
    """A random yolov8n with spread class logits as a pyfunc model folder."""
    from geoarena.det.yolo_offline import ensure_offline

    ensure_offline(Path(tempfile.mkdtemp(prefix="geoarena-serve-yolo-")) / "yolo_config")
    import torch
    from ultralytics import YOLO

    from geoarena.det.serving import LOADER

    torch.manual_seed(0)
    model = YOLO("yolov8n.yaml")
    with torch.no_grad():
        for p in model.model.model[-1].cv3.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    weights = tmp_path / "best.pt"
    model.save(str(weights))
    card = {
        "name": "det/yolov8n",
        "modality": "det",
        "task": "test/det",
        "task_kind": "det",
        "class_names": [f"c{i}" for i in range(N_CLASSES)],
        "box_type": "hbb",
        "imgsz": 160,
    }
    example = np.random.default_rng(0).integers(0, 256, (1, 160, 160, 3), dtype=np.uint8)
    exported = ExportedModel(LOADER, {"weights": str(weights)}, card, example)
    return save_model(exported, tmp_path / "model")


def test_detections_from_pyfunc_and_predict_tool(det_model, tmp_path, capsys):
    import geopandas as gpd

    from geoarena.det.slicer import SliceConfig, SlicedDetector

    predictor, _ = load_predictor(str(det_model))
    img = np.random.default_rng(1).integers(0, 256, (160, 160, 3), dtype=np.uint8)
    rows = predictor.predict(img[None])
    direct = SlicedDetector(
        str(predictor.weights), SliceConfig(slice_height=160, slice_width=160, imgsz=160)
    ).predict_array(img)
    assert len(rows) == len(direct["scores"])
    np.testing.assert_allclose(rows["score"].to_numpy(dtype=float), direct["scores"], rtol=1e-6)
    assert list(rows.columns) == ["image", "class_id", "label", "score", "box"]

    scene = tmp_path / "scene.tif"
    data = np.random.default_rng(0).integers(0, 255, (3, 160, 224), dtype=np.uint8)
    with rasterio.open(
        scene,
        "w",
        driver="GTiff",
        width=224,
        height=160,
        count=3,
        dtype="uint8",
        crs="EPSG:32617",
        transform=from_origin(404000.0, 3285000.0, 0.1, 0.1),
    ) as dst:
        dst.write(data)
    from test_model_and_registry import _predict_tool

    out = tmp_path / "det.gpkg"
    argv = ["--model", str(det_model), "--input", str(scene), "--output", str(out)]
    assert _predict_tool().main([*argv, "--slice", "160", "--conf", "0.01"]) == 0
    gdf = gpd.read_file(out, layer="detections")
    assert len(gdf) > 0 and gdf.crs.to_epsg() == 32617
    with rasterio.open(scene) as s:
        left, bottom, right, top = s.bounds
    minx, miny, maxx, maxy = gdf.total_bounds
    assert left - 1 <= minx and maxx <= right + 1 and bottom - 1 <= miny and maxy <= top + 1
    # an EO-only option is refused with a clear error
    argv[-1] = str(tmp_path / "det2.gpkg")
    assert _predict_tool().main([*argv, "--tta"]) == 2
    assert "(det model) takes no --tta" in capsys.readouterr().err
