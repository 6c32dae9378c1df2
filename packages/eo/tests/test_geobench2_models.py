"""GEO-Bench-2 model paths on the fixture tortillas: pixel regression, R-CNN detection and
instance segmentation, and the HPO-then-seeds protocol (``eo/hpo-*``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geoarena.core.config import RunConfig, apply_overrides
from geoarena.core.registry import PROTOCOLS, TASKS
from geoarena.core.runner import run
from geoarena.core.task import DataContext

DATA = Path(__file__).parent / "data" / "geobench2"
QUICK = {"train.epochs": 1, "train.batch_size": 4, "train.max_steps_per_epoch": 2}


def _cell(task: str, model: str, **kw) -> RunConfig:
    cfg = RunConfig(task=task, model=model, data_root=str(DATA), quick=True, device="cpu", **kw)
    return apply_overrides(cfg, QUICK)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "model", "key"),
    [
        ("eo/gb2-biomassters", "eo/resnet18", "test/rmse"),
        ("eo/gb2-kuro_siwo", "eo/prithvi-tiny", "test/miou"),
        # S1 + S2 and a time series through the wavelength-conditioned ViT (SAR: C band)
        ("eo/gb2-benv2", "eo/wavelength-vit", "test/f1_micro"),
        ("eo/gb2-pastis", "eo/wavelength-vit", "test/miou"),
        ("eo/gb2-substation", "eo/rcnn-resnet18", "test/segm_map"),
        ("eo/gb2-pastis_r", "eo/rcnn-convnext-atto", "test/segm_map"),
        ("eo/gb2-nzcattle", "eo/rcnn-resnet18", "test/map"),
        ("eo/gb2-everwatch", "eo/rcnn-convnext-atto", "test/map"),
    ],
)
def test_new_task_kinds_run_end_to_end(task, model, key):
    res = run(_cell(task, model), raise_errors=True, artifacts=False)
    assert res.status == "FINISHED"
    assert np.isfinite(res.test[key])
    if key == "test/rmse":
        from geoarena.eo.geobench2.metrics import BIOMASSTERS_STD

        assert res.test["test/gb2_score"] == pytest.approx(1 - res.test[key] * BIOMASSTERS_STD)


def test_wavelength_vit_refuses_the_dem_channel_by_name():
    from geoarena.core.errors import ConfigError

    with pytest.raises(ConfigError, match="DEM"):
        run(_cell("eo/gb2-kuro_siwo", "eo/wavelength-vit"), raise_errors=True, artifacts=False)


def test_regression_adapter_trains_on_valid_pixels_only():
    import torch

    from geoarena.core.registry import MODELS

    task = TASKS.get("eo/gb2-biomassters")
    data = task.datamodule(DataContext(data_root=DATA))
    adapter = MODELS.get("eo/resnet18")()
    adapter.build(task, PROTOCOLS.get("finetune"), _cell(task.name, "eo/resnet18"), data)
    batch = next(iter(data.loader("train", 2, shuffle=False)))
    out = adapter.model(batch)
    assert out.shape == (2, 1, 16, 16)
    valid = torch.zeros_like(batch["valid"])
    valid[:, :4, :4] = True
    loss = adapter.loss(out, {**batch, "valid": valid})
    expected = ((out[:, 0][valid] - batch["mask"][valid]) ** 2).mean()
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
    assert adapter.predict(batch).shape == (2, 16, 16)


@pytest.mark.slow
def test_hpo_searches_once_and_reuses_the_best_trial(tmp_path):
    import optuna

    from geoarena.core.registry import MODELS
    from geoarena.sweeps.hpo_model import study_name

    storage = f"journal:{tmp_path / 'hpo.journal'}"
    task = TASKS.get("eo/gb2-caffe")
    chosen = []
    for seed in (0, 1):
        cfg = _cell(task.name, "eo/hpo-resnet18", seed=seed, model_kwargs={"storage": storage})
        data = task.datamodule(DataContext(data_root=DATA, quick=True))
        data.setup(1.0, seed)
        adapter = MODELS.get("eo/hpo-resnet18")(storage=storage)
        adapter.build(task, PROTOCOLS.get("finetune"), cfg, data)
        chosen.append((adapter.best["best_trial"], adapter.train.lr))
        logged: dict[str, float] = {}
        adapter.fit(data, cfg.train, lambda epoch, m, log=logged: log.update(m))
        assert logged["hpo/lr"] == adapter.train.lr and logged["hpo/n_trials"] == 2
    # the second seed joined the finished study: same best trial, no new trials
    assert chosen[0] == chosen[1]
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    study = optuna.load_study(
        study_name=study_name(cfg, "eo/resnet18"),
        storage=JournalStorage(JournalFileBackend(str(tmp_path / "hpo.journal"))),
    )
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(done) == 2
    best = max(done, key=lambda t: t.value)
    assert chosen[0] == (best.number, best.params["lr"])


def test_rcnn_targets_and_images_go_to_the_model_device_without_numpy():
    # after the fit loop moved the batch to the GPU, np.asarray(cuda tensor) raised, and targets
    # built on the host met images on the GPU; bf16 boxes fail numpy the same way on the host
    import torch

    from geoarena.eo.geobench2.rcnn import RCNNAdapter

    adapter = RCNNAdapter.__new__(RCNNAdapter)
    boxes = torch.tensor([[2.0, 3.0, 2.0, 9.0]], dtype=torch.bfloat16)
    batch = {
        "image": torch.zeros(2, 3, 8, 8),
        "boxes": [boxes, torch.zeros(0, 4)],
        "labels": [torch.tensor([0]), torch.zeros(0, dtype=torch.int64)],
        "instance_masks": [torch.ones(1, 8, 8, dtype=torch.bool), torch.zeros(0, 8, 8).bool()],
    }
    meta = torch.device("meta")
    assert all(v.device == meta for t in adapter._targets(batch, meta) for v in t.values())
    assert all(im.device == meta for im in RCNNAdapter._images(batch, meta))
    chips = {"image": [np.full((8, 8, 3), 7, np.uint8)]}
    assert all(im.device == meta for im in RCNNAdapter._images(chips, meta))
    host = adapter._targets(batch)
    assert host[0]["boxes"].dtype == torch.float32 and host[0]["masks"].dtype == torch.uint8
    assert host[0]["boxes"].tolist() == [[2.0, 3.0, 3.0, 9.0]] and host[0]["labels"].tolist() == [1]
    assert host[1]["boxes"].shape == (0, 4) and boxes.tolist() == [[2.0, 3.0, 2.0, 9.0]]
