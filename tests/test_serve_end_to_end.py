"""From a benchmark cell to a served model: the runner logs the trained EO model, the registry
names the best cell ``@champion``, and ``tools/predict.py`` in a fresh process writes exactly the
in-process prediction of the trained network, in the scene's CRS (slow: trains a cell)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_registered_champion_predicts_the_in_process_prediction_exactly(tmp_path):
    from geoarena.core.config import RunConfig, TrainConfig
    from geoarena.core.registry import MODELS
    from geoarena.core.runner import run
    from geoarena.eo.data.embedded_tasks import SOLARIS
    from geoarena.eo.data.samples import sample_file
    from geoarena.eo.inference import PredictConfig, predict_scene
    from geoarena.eo.models.onnx_export import _ImageOnly
    from geoarena.serve.registry import register_best
    from geoarena.store.mlflow_tracker import MLflowTracker

    trained = []

    def capture(**kwargs):  # the real eo/resnet18 adapter, kept to predict in this process
        trained.append(MODELS.entry("eo/resnet18").obj(**kwargs))
        return trained[-1]

    MODELS.register("test/capture-resnet18", kinds=("seg", "cls"))(capture)
    try:
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        tracker = MLflowTracker("e2e", tracking_uri=uri)
        cfg = RunConfig(
            task="eo/spacenet-atlanta-buildings",
            model="test/capture-resnet18",
            suite="e2e",
            quick=True,
            train=TrainConfig(epochs=1, batch_size=8, max_steps_per_epoch=3),
        )
        res = run(cfg, tracker, raise_errors=True)
    finally:
        MODELS.remove("test/capture-resnet18")
    tags = tracker.client.get_run(res.run_id).data.tags
    assert tags["model_export"] == "logged" and tags["model_uri"] == f"runs:/{res.run_id}/model"
    assert float(tags["onnx_max_abs_diff"]) < 1e-3
    (reg,) = register_best(tracker.client, tracker.find_runs({"suite": "e2e"}), "e2e")
    assert reg.uri == "models:/e2e-eo-spacenet-atlanta-buildings@champion"

    scene = sample_file(SOLARIS, "solaris/data/sample_geotiff.tif")
    adapter = trained[0]
    info = adapter.data_info
    in_process = tmp_path / "in_process.tif"
    predict_scene(
        _ImageOnly(adapter.model.net.cpu()).eval(),
        scene,
        in_process,
        PredictConfig(window=64, stride=48, mean=info.mean, std=info.std, num_classes=2),
    )
    fresh = tmp_path / "fresh.tif"
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools/predict.py"),
            "--model",
            reg.uri,
            "--input",
            str(scene),
            "--output",
            str(fresh),
            "--gpkg",
            str(tmp_path / "b.gpkg"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    with rasterio.open(in_process) as a, rasterio.open(fresh) as b, rasterio.open(scene) as s:
        assert b.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert b.crs == s.crs and b.crs.to_epsg() == 32616 and b.transform == s.transform
        assert (b.width, b.height) == (s.width, s.height) == (900, 900)
        got, want = b.read(1), a.read(1)
    np.testing.assert_array_equal(got, want)
    assert set(np.unique(got)) <= {0, 1}
