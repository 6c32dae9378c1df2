"""An EO scene task and the classical baselines go through the harness runner end to end."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.core.config import RunConfig
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.registry import TASKS
from geoarena.core.runner import run
from geoarena.core.task import Task
from geoarena.core.tracking import NullTracker
from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipDataModule
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.scene import SceneSource, SceneTaskSpec, chip_scenes

BANDS = ("red", "green", "nir")


@pytest.fixture
def fixture_task(scene_files):
    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16, block_chips=2)

    def datamodule(ctx):
        chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_wgs84"])], spec)
        return ChipDataModule(
            chips, "seg", RasterInfo(band_names=BANDS, input_unit="dn_uint16", gsd=0.5)
        )

    name = "eo/test-fixture-buildings"
    TASKS.register(name)(
        lambda: Task(
            name=name,
            kind="seg",
            datamodule=datamodule,
            metric="miou",
            num_classes=2,
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
            RasterInfo(),
        )

    TASKS.register(name)(
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


def test_default_and_eo_suites_have_the_embedded_eo_tasks_with_a_deep_and_a_classical_model():
    from geoarena.core.registry import MODELS, SUITES

    embedded = ("eo/spacenet-atlanta-buildings", "eo/neon-treecover-cls", "eo/nebraska-pivots")
    for suite in ("default", "eo"):
        entries = {e.task: e for e in SUITES.get(suite).entries if e.task.startswith("eo/")}
        assert set(entries) >= set(embedded), suite
    entries = {e.task: e for e in SUITES.get("default").entries if e.task.startswith("eo/")}
    assert "eo/prithvi-tiny" in entries["eo/nebraska-pivots"].models  # GFM-style backbone
    for name in embedded:
        entry = entries[name]
        assert len(entry.seeds) >= 2 and all(m in MODELS for m in entry.models)
        families = {MODELS.meta(m).get("family") for m in entry.models}
        assert "classical" in families and len(families) >= 2  # a deep family besides the baseline
        task = TASKS.get(name)
        kinds = [MODELS.meta(m).get("kinds") for m in entry.models]
        assert all(task.kind in k for k in kinds)


def test_eo_suite_runs_spacenet_resnet18_at_output_stride_8_so_64px_chips_keep_an_8x8_map():
    import torch

    from geoarena.core.registry import SUITES
    from geoarena.eo.models.encoders import TimmEncoder

    cells = SUITES.get("eo").cells(tasks=["eo/spacenet-atlanta-buildings"])
    kwargs = {c.model: c.model_kwargs for c in cells}
    assert kwargs["eo/resnet18"] == {"arch": {"output_stride": 8}}
    # the pretrained csmask EfficientNet-B4 too; its unit check is waived (both z-scored)
    assert kwargs["eo/smp-efficientnet-b4-csmask"] == {
        "arch": {"output_stride": 8},
        "allow_unit_mismatch": True,
    }
    assert kwargs["eo/prithvi-tiny"] == {}  # the ViT is not dilated
    cfg = next(c for c in cells if c.model == "eo/resnet18")
    assert (cfg.train.augment, cfg.train.loss, cfg.train.epochs) == ("d4", "weighted_ce", 40)
    encoder = TimmEncoder("resnet18", in_chans=1, arch_kwargs=kwargs["eo/resnet18"]["arch"])
    with torch.no_grad():
        maps = encoder.forward_features(torch.zeros(1, 1, 64, 64))
    assert [m.shape[-1] for m in maps] == [16, 8, 8, 8]  # stride 4, then 8 (was 16, 8, 4, 2)


@pytest.mark.slow
def test_nebraska_pivots_task_is_the_aoi_of_the_real_landsat_scene_with_pivots_in_every_split():
    from geoarena.core.task import DataContext

    task = TASKS.get("eo/nebraska-pivots")
    dm = task.datamodule(DataContext())
    chips = dm.chips
    assert chips.images.shape[1:] == (1, 32, 32) and chips.images.dtype.name == "int16"
    assert dm.info.band_names == ("TM4",) and dm.info.input_unit == "reflectance_x10000"
    fg = ((chips.targets == 1).reshape(len(chips.targets), -1)).sum(1)
    per_split = [int(fg[chips.split == s].sum()) for s in range(3)]
    # 9 pivots of ~545 px inside the AOI; the fixed split seed leaves > 1 pivot in val and test
    assert 4000 < sum(per_split) < 5000 and min(per_split[1:]) > 545
    for g in np.unique(chips.groups):
        assert len(np.unique(chips.split[chips.groups == g])) == 1
    # nodata stripes / outside the AOI are ignored, never background
    assert (chips.targets == IGNORE_INDEX).any()


@pytest.mark.slow
def test_spacenet_task_is_64px_chips_in_2x2_blocks_with_the_same_pixels_as_128px_blocks():
    """The task definition behind the published figures (RESULTS.md, SpaceNet-4 section): 64 px
    chips, 68/40/36; its val/test pixels are exactly those of 128 px chips on the same blocks, so
    validation IoU compares the two chip sizes on the same pixels (issue 14 chose on it)."""
    import dataclasses

    from geoarena.core.task import DataContext
    from geoarena.eo.data import embedded_tasks as et

    dm = TASKS.get("eo/spacenet-atlanta-buildings").datamodule(DataContext())
    chips = dm.chips
    assert chips.images.shape[1:] == (1, 64, 64) and dm.info.band_names == ("pan",)
    assert [int((chips.split == s).sum()) for s in range(3)] == [68, 40, 36]
    for g in np.unique(chips.groups):  # whole 2×2-chip blocks go to one split (or unused, -1)
        assert len(np.unique(chips.split[(chips.groups == g) & (chips.split >= 0)])) <= 1
    source = SceneSource(
        et.sample_file(et.SOLARIS, "solaris/data/sample_geotiff.tif"),
        et.sample_file(et.SOLARIS, "solaris/data/geotiff_labels.geojson"),
    )
    big = chip_scenes([source], dataclasses.replace(et.SPACENET_SPEC, chip_size=128, block_chips=1))

    def cells(c, split: int, size: int) -> set[tuple[int, int]]:
        k = c.split == split
        return {
            (r * size // 128, q * size // 128) for r, q in zip(c.meta["row"][k], c.meta["col"][k])
        }

    for split in (1, 2):
        assert cells(big, split, 128) == cells(chips, split, 64)
        assert big.targets[big.split == split].sum() == chips.targets[chips.split == split].sum()
