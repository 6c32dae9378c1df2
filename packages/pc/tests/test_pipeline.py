"""Data module, random forest and networks end to end on the generated scene (ASPRS classes)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.registry import TASKS
from geoarena.core.runner import run
from geoarena.core.task import Task
from geoarena.pc.asprs import GROUND_VEGETATION_BUILDING, IGNORE
from geoarena.pc.data import CloudDataConfig, CloudDataModule
from geoarena.pc.features import FeatureConfig
from geoarena.pc.io import read_las

SMALL = CloudDataConfig(
    features=FeatureConfig(knn_scales=(8, 20), height_radii_m=(3.0, 10.0)),
    crop_points=256,
    crops_per_epoch=8,
    tile_m=10.0,
    halo_m=3.0,
)


def scene_task(path, name="pc/test-scene") -> Task:
    names = GROUND_VEGETATION_BUILDING.class_names
    return Task(
        name=name, kind="pc_seg",
        datamodule=lambda ctx: CloudDataModule(lambda: read_las(path), GROUND_VEGETATION_BUILDING, SMALL),
        metrics=lambda: ConfusionMatrixMetric(3, "point_labels", ignore_index=IGNORE, class_names=names),
        metric="miou", num_classes=3, class_names=names, modality="pc",
    )  # fmt: skip


@pytest.fixture
def registered(fixtures):
    TASKS.register("pc/test-scene")(lambda: scene_task(fixtures["las"]))
    yield "pc/test-scene"
    TASKS.remove("pc/test-scene")


def test_datamodule_splits_and_batches(fixtures):
    data = CloudDataModule(lambda: read_las(fixtures["las"]), GROUND_VEGETATION_BUILDING, SMALL)
    data.setup(seed=0)
    assert data.info.in_chans == len(data.info.feature_names) == 2 * 8 + 4 + 6
    assert data.info.crs.endswith("2154")
    torch.manual_seed(0)
    batch = next(iter(data.loader("train", 4)))
    assert batch["points"].shape == (4, 256, 3) and batch["features"].shape == (
        4,
        256,
        data.info.in_chans,
    )
    assert (batch["point_labels"] >= 0).all()  # crops are drawn from labelled training points only
    scored = np.zeros(len(data.labels), int)
    for b in data.loader("test", 1):
        idx = b["index"][0].numpy()
        lab = b["point_labels"][0].numpy()
        scored[idx[lab >= 0]] += 1
        np.testing.assert_array_equal(lab[lab >= 0], data.labels[idx[lab >= 0]])
    np.testing.assert_array_equal(
        scored, data.split_mask("test").astype(int)
    )  # each test point once
    half = CloudDataModule(lambda: read_las(fixtures["las"]), GROUND_VEGETATION_BUILDING, SMALL)
    half.setup(label_fraction=0.5, seed=0)
    assert abs(half.train_mask.sum() - 0.5 * data.train_mask.sum()) <= 1


def test_random_forest_through_the_runner(registered):
    cfg = RunConfig(
        task=registered, model="pc/random-forest", model_kwargs={"n_estimators": 20, "n_jobs": 1}
    )
    res = run(cfg, raise_errors=True, artifacts=False)
    assert res.status == "FINISHED"
    assert res.test["test/overall_accuracy"] > 0.9
    assert {"test/iou/ground", "test/miou"} <= set(res.test)


def test_randla_predict_covers_every_point_with_votes(fixtures):
    from geoarena.pc.models.adapter import PointNetAdapter

    data = CloudDataModule(lambda: read_las(fixtures["las"]), GROUND_VEGETATION_BUILDING, SMALL)
    data.setup()
    task = scene_task(fixtures["las"])
    torch.manual_seed(0)
    ad = PointNetAdapter(arch="randla", widths=(8, 16, 16, 16), k=8, crop_points=256)
    ad.build(task, None, RunConfig(device="cpu"), data)
    proba = ad.predict_proba(data.xyz_m[:700], data.features[:700])
    assert proba.shape == (700, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(
        proba, ad.predict_proba(data.xyz_m[:700], data.features[:700])
    )  # deterministic


@pytest.mark.slow
@pytest.mark.parametrize("model", ["pc/randla", "pc/pointnet2"])
def test_networks_learn_the_scene(registered, fixtures, model):
    kw = {"widths": (8, 16, 32, 32), "k": 8, "crop_points": 256}
    train = TrainConfig(epochs=4, batch_size=4, lr=0.01, early_stop_patience=0)
    res = run(
        RunConfig(task=registered, model=model, model_kwargs=kw, train=train, device="cpu"),
        raise_errors=True,
        artifacts=False,
    )
    assert res.status == "FINISHED" and res.fit.epochs_run == 4
    assert res.test["test/overall_accuracy"] > 0.8
    # the best epoch is chosen on the mIoU of the classes present in the validation stripe
    data = CloudDataModule(lambda: read_las(fixtures["las"]), GROUND_VEGETATION_BUILDING, SMALL)
    data.setup()
    counts = np.bincount(data.labels[data.split_mask("val")], minlength=3)
    names = GROUND_VEGETATION_BUILDING.class_names
    best = res.fit.best_val
    expected = np.mean([best[f"val/iou/{n}"] for n, c in zip(names, counts) if c > 0])
    assert best["val/miou_present"] == pytest.approx(expected)
