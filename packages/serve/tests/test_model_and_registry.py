"""The pyfunc flavour and the registry on a real SQLite MLflow store, and tools/predict.py on a
scene, with a tiny EO segmentation network exported through the EO leaf's real loader."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from serve_synthetic import CRS, write_scene

from geoarena.core.model import ExportedModel
from geoarena.eo.inference import PredictConfig
from geoarena.eo.inference.scene import in_memory_predict
from geoarena.eo.models.export import LOADER
from geoarena.serve.mlflow_model import load_predictor, log_model, save_model
from geoarena.serve.registry import best_cells, register_best

REPO = Path(__file__).resolve().parents[3]
MEAN, STD = [100.0], [40.0]


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 2, 3, padding=1)
    ).eval()


def _exported(tmp: Path) -> ExportedModel:
    net = _net()
    x = torch.zeros(1, 1, 32, 32)
    ts = tmp / "model.pt"
    torch.jit.save(torch.jit.trace(net, x), str(ts))
    card = {
        "name": "test/tiny-seg",
        "modality": "eo",
        "task": "test/seg",
        "task_kind": "seg",
        "class_names": ["background", "bright"],
        "num_classes": 2,
        "data_bands": ["pan"],
        "mean": MEAN,
        "std": STD,
        "chip_size": 32,
        "gsd": 0.5,
    }
    example = np.random.default_rng(0).normal(100, 40, (2, 1, 32, 32)).astype(np.float32)
    return ExportedModel(LOADER, {"torchscript": str(ts)}, card, example)


def _predict_tool():
    spec = importlib.util.spec_from_file_location("predict_tool", REPO / "tools" / "predict.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pyfunc_model_answers_like_the_network(tmp_path):
    import mlflow

    folder = save_model(_exported(tmp_path), tmp_path / "model")
    info = mlflow.models.get_model_info(str(folder))
    assert info.metadata["geoarena_card"]["class_names"] == ["background", "bright"]
    assert info.signature.inputs.to_dict()[0]["tensor-spec"]["shape"] == (-1, 1, 32, 32)
    chips = np.random.default_rng(1).normal(100, 40, (3, 1, 32, 32)).astype(np.float32)
    got = mlflow.pyfunc.load_model(str(folder)).predict(chips)
    with torch.no_grad():
        want = _net()(torch.from_numpy((chips - 100) / 40)).argmax(1).numpy()
    np.testing.assert_array_equal(got, want)


def test_predict_tool_writes_the_in_memory_prediction_as_a_cog(tmp_path):
    folder = save_model(_exported(tmp_path), tmp_path / "model")
    scene = write_scene(tmp_path / "scene.tif", bands=1)
    tool = _predict_tool()
    out, gpkg = tmp_path / "classes.tif", tmp_path / "classes.gpkg"
    argv = ["--model", str(folder), "--input", str(scene), "--output", str(out)]
    assert tool.main([*argv, "--gpkg", str(gpkg)]) == 0
    want = in_memory_predict(
        _net(), scene, PredictConfig(window=32, stride=24, num_classes=2, mean=MEAN, std=STD)
    )
    with rasterio.open(out) as o, rasterio.open(scene) as s:
        assert o.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert o.crs == s.crs and o.crs.to_string() == CRS and o.transform == s.transform
        np.testing.assert_array_equal(o.read(1), want)
    assert 0 < (want == 1).mean() < 1 and gpkg.exists()
    # bad input: a clear error and a non-zero exit
    assert (
        tool.main(
            ["--model", str(folder), "--input", str(tmp_path / "no.tif"), "--output", str(out)]
        )
        == 2
    )
    assert tool.main([*argv, "--tta", "--window", "16"]) == 2  # output exists
    assert tool.main([*argv, "--tta", "--window", "16", "--overwrite"]) == 0
    assert (
        tool.main(
            ["--model", str(tmp_path / "nowhere"), "--input", str(scene), "--output", str(out)]
        )
        == 2
    )


def test_registry_picks_the_best_validation_cell_not_the_best_test_cell(tmp_path, monkeypatch):
    from geoarena.store.mlflow_tracker import MLflowTracker

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    tracker = MLflowTracker("serve-test", tracking_uri=uri)
    exported = _exported(tmp_path)
    ids = []
    for seed, (val, test) in enumerate([(0.70, 0.90), (0.80, 0.60)]):
        rid = tracker.start_run(
            f"cell{seed}",
            tags={
                "task": "test/seg",
                "model": "tiny",
                "suite": "s",
                "config_hash": f"h{seed}",
                "primary_metric": "miou",
                "metric_direction": "maximize",
            },
        )
        tracker.log_metrics(rid, {"best_val/miou": val, "test/miou": test})
        log_model(tracker, rid, exported)
        tracker.set_tags(rid, {"model_export": "logged"})
        tracker.end_run(rid, "FINISHED")
        ids.append(rid)
    runs = tracker.find_runs({"suite": "s"})
    assert best_cells(runs)["test/seg"]["run_id"] == ids[1]
    (reg,) = register_best(tracker.client, runs, "ga", alias="champion")
    assert (reg.uri, reg.run_id, reg.version) == ("models:/ga-test-seg@champion", ids[1], "1")
    import mlflow

    mlflow.set_tracking_uri(uri)
    predictor, card = load_predictor(reg.uri)
    assert card["task"] == "test/seg" and predictor.kind == "seg"
    # a second registration makes version 2 the champion
    (reg2,) = register_best(tracker.client, runs, "ga", alias="champion")
    assert reg2.version == "2"
    assert str(tracker.client.get_model_version_by_alias("ga-test-seg", "champion").version) == "2"
    with pytest.raises(Exception, match="no FINISHED cell"):
        register_best(tracker.client, [], "ga")
    assert json.loads(json.dumps(card))["mean"] == MEAN
