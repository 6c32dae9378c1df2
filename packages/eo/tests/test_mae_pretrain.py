"""MAE pretraining on a task's train chips, and the linear probe's feature normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from geoarena.core.errors import DataError
from geoarena.eo.data.datamodule import ChipDataModule
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.scene import SceneSource, SceneTaskSpec, chip_scenes
from geoarena.eo.models.heads import ProbeNorm
from geoarena.eo.models.mae_pretrain import (
    ChipCrops,
    MAEPretrainConfig,
    pretrain_mae,
    task_train_crops,
)

BANDS = ("red", "green", "nir")


@pytest.fixture(scope="module")
def scene_data(scene_files):
    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16, block_chips=2)
    chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], spec)
    return ChipDataModule(chips, "seg", RasterInfo(band_names=BANDS, input_unit="dn_uint16"))


def test_task_train_crops_use_only_train_chips_normalised_like_the_datamodule(scene_data):
    crops = task_train_crops(scene_data, 16, seed=0)
    train, _ = scene_data.arrays("train")
    assert crops.chips.shape == train.shape and crops.band_names == BANDS
    np.testing.assert_array_equal(crops.chips, train)
    assert len(crops.chips) < len(scene_data.chips.images)  # val/test chips are left out
    batch = crops.batch(6)
    assert batch.shape == (6, 3, 16, 16) and batch.dtype == torch.float32
    # every crop is a dihedral transform of one train chip (values preserved)
    pool = {tuple(np.sort(c.ravel()).round(5)) for c in train}
    assert all(tuple(np.sort(b.numpy().ravel()).round(5)) in pool for b in batch)
    again = task_train_crops(scene_data, 16, seed=0).batch(6)
    assert torch.equal(batch, again)


def test_chip_crops_refuse_bad_inputs():
    with pytest.raises(DataError, match="smaller than the 32px crop"):
        ChipCrops(np.zeros((4, 3, 16, 16)), BANDS, 32)
    with pytest.raises(DataError, match="4 bands but 3 band names"):
        ChipCrops(np.zeros((4, 4, 16, 16)), BANDS, 16)
    with pytest.raises(DataError, match="non-empty"):
        ChipCrops(np.zeros((0, 3, 16, 16)), BANDS, 16)


def test_mae_pretraining_on_task_chips_learns(scene_data):
    torch.set_num_threads(1)
    cfg = MAEPretrainConfig(crop=16, steps=60, batch_size=16, warmup_steps=5, lr=2e-3)
    mae, losses = pretrain_mae(task_train_crops(scene_data, 16), cfg, log_every=0)
    assert len(losses) == 60 and all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < 0.9 * np.mean(losses[:10])
    assert mae.encoder.in_chans == 3 and mae.encoder.grid == (1, 2, 2)


def test_probe_norm_standardises_in_training_and_is_fixed_at_inference():
    torch.manual_seed(0)
    norm = ProbeNorm(4)
    assert not list(norm.parameters())  # nothing to train: the probe stays a linear layer
    x = torch.randn(256, 4) * torch.tensor([100.0, 0.1, 1.0, 5.0]) + 3.0
    y = norm.train()(x)
    assert torch.allclose(y.mean(0), torch.zeros(4), atol=1e-4)
    assert torch.allclose(y.std(0, unbiased=False), torch.ones(4), atol=1e-3)
    one = norm(x[:1])  # a single-sample training batch uses the running statistics
    assert one.shape == (1, 4) and torch.isfinite(one).all()
    norm.eval()
    assert torch.allclose(norm(x[:3]), norm(x[:3]))


def test_linear_probe_on_classification_uses_probe_norm_and_finetune_does_not():
    from geoarena.core.registry import MODELS, PROTOCOLS
    from geoarena.eo.models.testing import check_adapter_contract

    arch = {"arch": {"embed_dim": 32, "depth": 2, "num_heads": 2}}
    probe = MODELS.get("eo/prithvi-tiny")(**arch)
    check_adapter_contract(probe, PROTOCOLS.get("linear_probe"), kind="cls")
    assert isinstance(probe.model.net.head[0], ProbeNorm)
    plain = MODELS.get("eo/prithvi-tiny")(probe_norm=False, **arch)
    check_adapter_contract(plain, PROTOCOLS.get("linear_probe"), kind="cls")
    assert not any(isinstance(m, ProbeNorm) for m in plain.model.modules())
    ft = MODELS.get("eo/prithvi-tiny")(**arch)
    check_adapter_contract(ft, PROTOCOLS.get("finetune"), kind="cls")
    assert not any(isinstance(m, ProbeNorm) for m in ft.model.modules())
