"""An EO scene task and the classical baselines go through the harness runner end to end."""

from __future__ import annotations

import pytest

from geoarena.core.config import RunConfig
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.registry import TASKS
from geoarena.core.runner import run
from geoarena.core.task import Task
from geoarena.core.tracking import NullTracker
from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipDataModule
from geoarena.eo.data.scene import SceneSource, SceneTaskSpec, chip_scenes

BANDS = ("red", "green", "nir")


@pytest.fixture
def fixture_task(scene_files):
    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16, block_chips=2)

    def datamodule(ctx):
        chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_wgs84"])], spec)
        return ChipDataModule(
            chips, "seg", {"band_names": BANDS, "input_unit": "dn_uint16", "gsd": 0.5}
        )

    name = "eo/test-fixture-buildings"
    TASKS.add(
        name,
        lambda: Task(
            name=name,
            kind="seg",
            datamodule=datamodule,
            metric="miou",
            num_classes=2,
            bands=BANDS,
            modality="eo",
            metrics=lambda: ConfusionMatrixMetric(2, target_key="mask", ignore_index=IGNORE_INDEX),
        ),
    )
    yield name
    TASKS.remove(name)


def test_rf_pixels_cell_finishes_with_provenance(fixture_task):
    tracker = NullTracker()
    cfg = RunConfig(
        task=fixture_task,
        model="eo/rf-pixels",
        seed=1,
        model_kwargs={"n_estimators": 15, "cv_folds": 0, "max_pixels": 5000},
    )
    res = run(cfg, tracker=tracker)
    assert res.status == "FINISHED", res.error
    assert res.test["test/miou"] > 0.8
    tags = tracker.runs[res.run_id].tags
    assert tags.get("input_unit", "dn_uint16") == "dn_uint16"


def test_corrupt_scene_ends_as_failed_cell_with_clear_message(scene_files):
    name = "eo/test-fixture-corrupt"
    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16)

    def datamodule(ctx):
        return ChipDataModule(
            chip_scenes([SceneSource(scene_files["corrupt"], scene_files["labels_utm"])], spec),
            "seg",
            {},
        )

    TASKS.add(
        name,
        lambda: Task(
            name=name,
            kind="seg",
            datamodule=datamodule,
            metric="miou",
            num_classes=2,
            metrics=lambda: ConfusionMatrixMetric(2, target_key="mask"),
        ),
    )
    try:
        res = run(RunConfig(task=name, model="eo/rf-pixels"), tracker=NullTracker())
    finally:
        TASKS.remove(name)
    assert res.status == "FAILED" and "corrupt.tif" in res.error and "corrupt raster" in res.error


def test_default_suite_has_the_embedded_eo_tasks_with_a_deep_and_a_classical_model():
    from geoarena.core.registry import MODELS, SUITES

    entries = {e.task: e for e in SUITES.get("default").entries if e.task.startswith("eo/")}
    assert set(entries) >= {"eo/spacenet-atlanta-buildings", "eo/neon-treecover-cls"}
    for name in ("eo/spacenet-atlanta-buildings", "eo/neon-treecover-cls"):
        entry = entries[name]
        assert len(entry.seeds) >= 2 and all(m in MODELS for m in entry.models)
        families = {MODELS.meta(m).get("family") for m in entry.models}
        assert "classical" in families and len(families) >= 2  # a deep family besides the baseline
        task = TASKS.get(name)
        kinds = [MODELS.meta(m).get("kinds") for m in entry.models]
        assert all(task.kind in k for k in kinds)
