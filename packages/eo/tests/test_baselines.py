"""Classical baselines learn the fixture scene and follow the ModelAdapter surface."""

from __future__ import annotations

import numpy as np

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.protocol import EvalProtocol
from geoarena.core.registry import MODELS
from geoarena.core.task import Task
from geoarena.eo.baselines.features import chip_statistics, pixel_features, spectral_indices
from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipDataModule
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.scene import SceneSource, SceneTaskSpec, chip_scenes

BANDS = ("red", "green", "nir")


def _task(kind: str) -> Task:
    key = "mask" if kind == "seg" else "label"
    return Task(
        name=f"eo/fixture-{kind}",
        kind=kind,
        datamodule=None,
        metric="miou",
        num_classes=2,
        metrics=lambda: ConfusionMatrixMetric(2, target_key=key, ignore_index=IGNORE_INDEX),
    )


def _data(scene_files, kind: str, chip: int) -> ChipDataModule:
    spec = SceneTaskSpec(
        kind=kind, band_names=BANDS, chip_size=chip, block_chips=2, coverage_threshold=0.3
    )
    chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], spec)
    dm = ChipDataModule(chips, kind, RasterInfo(band_names=BANDS))
    dm.setup(1.0, 0)
    return dm


def test_spectral_indices_use_raw_values():
    raw = np.zeros((1, 3, 2, 2), np.float32)
    raw[:, 0], raw[:, 1], raw[:, 2] = 100, 50, 300  # red, green, nir
    idx, names = spectral_indices(raw, BANDS)
    assert names == ["ndvi", "ndwi"]  # no SWIR band → no NDBI
    np.testing.assert_allclose(idx[0, 0], 0.5)
    np.testing.assert_allclose(idx[0, 1], (50 - 300) / 350, rtol=1e-6)
    x = np.random.default_rng(0).normal(size=(2, 3, 8, 8)).astype(np.float32)
    assert pixel_features(x, BANDS, (100, 50, 300), (10, 10, 10)).shape == (2, 3 + 2 + 2 * 3, 8, 8)
    assert chip_statistics(x, BANDS, (100, 50, 300), (10, 10, 10)).shape == (2, 3 * 6 + 2 * 2)


def test_rf_pixels_segments_the_fixture_buildings(scene_files):
    dm = _data(scene_files, "seg", 16)
    adapter = MODELS.get("eo/rf-pixels")(n_estimators=20, max_pixels=8000, n_jobs=1)
    adapter.build(_task("seg"), EvalProtocol("finetune"), RunConfig(seed=0), dm)
    logged = []
    res = adapter.fit(dm, TrainConfig(), lambda e, m: logged.append((e, m)))
    assert logged[0][0] == 0 and "val/miou" in logged[0][1] and res.extra["tuned_param"] in (8, 16)
    metric = _task("seg").metrics()
    for batch in dm.loader("test", 8):
        pred = adapter.predict(batch)
        assert pred.shape == (len(batch["image"]), 2, 16, 16)
        metric.update(pred, batch)
    assert metric.compute()["miou"] > 0.85


def test_lgbm_chip_stats_classifies_fixture_chips(scene_files):
    dm = _data(scene_files, "cls", 8)
    adapter = MODELS.get("eo/lgbm-chip-stats")(n_estimators=30, n_jobs=1)
    adapter.build(_task("cls"), EvalProtocol("finetune"), RunConfig(seed=0), dm)
    res = adapter.fit(dm, TrainConfig(), lambda e, m: None)
    assert set(res.extra["cv_macro_f1"]) == {15, 63}
    metric = _task("cls").metrics()
    for batch in dm.loader("test", 16):
        metric.update(adapter.predict(batch), batch)
    assert metric.compute()["overall_accuracy"] > 0.85


def test_sample_prediction_figures(scene_files):
    from geoarena.eo.data.plots import classification_figure, segmentation_figure

    dm = _data(scene_files, "seg", 16)
    batch = next(iter(dm.loader("test", 4)))
    fig = segmentation_figure(batch, np.zeros((4, 2, 16, 16), np.float32))
    assert len(fig.axes) == 12
    cls = {"image": batch["image"], "label": np.array([0, 1, 1, 0])}
    fig2 = classification_figure(
        cls, np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]), ("a", "b")
    )
    assert [ax.get_title().split("\n")[1] for ax in fig2.axes] == ["→ a", "→ b", "→ a", "→ a"]
