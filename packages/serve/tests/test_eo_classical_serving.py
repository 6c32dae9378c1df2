"""The classical EO baselines' serving export (random forest and LightGBM, no pickle): the
served model answers like the fitted adapter, on chips and on a scene (class COG in the scene's CRS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from serve_synthetic import CRS, write_scene

from geoarena.core.config import RunConfig
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.registry import MODELS
from geoarena.core.task import Task
from geoarena.eo.data.datamodule import ChipArrays, ChipDataModule
from geoarena.eo.data.info import RasterInfo
from geoarena.serve.mlflow_model import load_predictor, save_model


def _bright_squares() -> ChipDataModule:
    """24 single-band chips of 32 px: class 1 where a bright square is, split 16/4/4."""
    rng = np.random.default_rng(0)
    images = rng.normal(80, 10, (24, 1, 32, 32)).astype(np.float32)
    masks = np.zeros((24, 32, 32), np.int64)
    for i in range(24):
        r, c = rng.integers(0, 20, 2)
        images[i, 0, r : r + 12, c : c + 12] += 120
        masks[i, r : r + 12, c : c + 12] = 1
    split = np.array([0] * 16 + [1] * 4 + [2] * 4)
    chips = ChipArrays(images, masks, split, groups=np.arange(24) // 2)
    info = RasterInfo(band_names=("pan",), class_names=("background", "bright"), gsd=0.5)
    return ChipDataModule(chips, "seg", info)


@pytest.mark.parametrize("name", ["eo/rf-pixels", "eo/lgbm-pixels"])
def test_served_forest_answers_like_the_fitted_adapter(tmp_path, name):
    data = _bright_squares()
    data.setup()
    task = Task(
        name="test/bright-squares",
        kind="seg",
        datamodule=lambda ctx: data,
        metrics=lambda: ConfusionMatrixMetric(2, target_key="mask"),
        metric="miou",
        num_classes=2,
        class_names=("background", "bright"),
    )
    adapter = MODELS.entry(name).obj(n_estimators=10, cv_folds=0)
    adapter.build(task, STANDARD_PROTOCOLS[0], RunConfig(task=task.name), data)
    adapter.fit(data, RunConfig().train, lambda epoch, metrics: None)
    exported = adapter.export(str(tmp_path))
    # written without pickle: skops (scikit-learn) or LightGBM's text model, settings as JSON
    assert Path(exported.files["estimator"]).suffix in (".skops", ".txt")
    assert exported.card["mean"] == pytest.approx(list(data.info.mean), rel=1e-6)
    folder = save_model(exported, tmp_path / "model")
    predictor, card = load_predictor(str(folder))
    assert card["chip_size"] == 32 and card["data_bands"] == ["pan"]

    test = next(iter(data.loader("test", 4, shuffle=False)))
    want = adapter.predict(test).argmax(1)
    raw = data.chips.images[data.split_indices("test")]
    np.testing.assert_array_equal(predictor.predict(raw), want)
    assert (want == test["mask"].numpy()).mean() > 0.9

    scene = write_scene(tmp_path / "scene.tif", bands=1)
    with rasterio.open(scene, "r+") as ds:  # a bright square in the scene's north-west
        img = np.full_like(ds.read(1), 80)  # the training chips' background level
        img[20:60, 20:60] = 200
        ds.write(img, 1)
    out = tmp_path / "classes.tif"
    predictor.predict_file(scene, out)
    with rasterio.open(out) as o:
        assert o.crs.to_string() == CRS and o.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        cls = o.read(1)
    assert cls[25:55, 25:55].mean() > 0.9 and cls[150:, 150:].mean() < 0.1
    assert torch.isfinite(predictor.net(torch.zeros(1, 1, 32, 32))).all()
