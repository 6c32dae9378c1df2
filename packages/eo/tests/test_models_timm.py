"""timm backbones through EOTorchAdapter: kinds, band adaptation from a local checkpoint,
unknown bands, unit refusal, and a real fit step through core's TorchFitLoop."""

from __future__ import annotations

import pytest
import timm
import torch

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.registry import MODELS
from geoarena.core.task import DataContext
from geoarena.eo.models.testing import S2_13, TinyEOData, tiny_task
from geoarena.eo.models.zoo import timm_adapter

PROTOCOLS = {p.name: p for p in STANDARD_PROTOCOLS}
SIX = ("B02", "B03", "B04", "B08", "B11", "B12")


def _built(name, kind, bands=SIX, protocol="finetune", size=32, **kw):
    task = tiny_task(kind, bands, size)
    data = task.datamodule(DataContext())
    data.setup()
    adapter = timm_adapter(name, **kw)
    adapter.build(task, PROTOCOLS[protocol], RunConfig(device="cpu"), data)
    return adapter, data


def test_registered_in_the_models_registry_with_kinds():
    for name in ("eo/resnet18", "eo/convnext-atto", "eo/vit-tiny", "eo/swin-tiny"):
        assert set(MODELS.meta(name)["kinds"]) == {"cls", "multilabel", "seg", "regression"}


def test_pretrained_resnet_checkpoint_is_adapted_by_band_name(tmp_path):
    torch.manual_seed(0)
    ref = timm.create_model("resnet18", pretrained=False, num_classes=10)
    path = tmp_path / "resnet18_rgb.pt"
    torch.save(ref.state_dict(), path)
    adapter, _ = _built("eo/resnet18", "cls", weights=str(path))
    conv = adapter.model.net.encoder.model.conv1.weight.detach()
    w = ref.conv1.weight.detach()
    # data bands B02 (blue), B03 (green), B04 (red): copied from the RGB checkpoint's slices
    assert torch.equal(conv[:, 0], w[:, 2]) and torch.equal(conv[:, 2], w[:, 0])
    assert torch.allclose(conv[:, 3], w.mean(1) * 0.5)  # NIR: mean RGB filter × 3/6
    assert torch.equal(
        adapter.model.net.encoder.model.layer4[1].conv2.weight, ref.layer4[1].conv2.weight
    )
    assert adapter.card.bands == ("red", "green", "blue")
    assert "B08<-mean" in adapter.card.extra["band_mapping"][0]


def test_missing_weights_file_fails_clearly_without_downloading(tmp_path):
    with pytest.raises(ConfigError, match="never downloaded"):
        _built("eo/resnet18", "cls", weights=str(tmp_path / "nope.pt"))


def test_unknown_band_name_raises_config_error_naming_it():
    with pytest.raises(ConfigError, match="'B99'"):
        _built("eo/resnet18", "cls", bands=("B02", "B99"))


def test_pretrained_weights_refuse_data_of_another_unit(tmp_path):
    path = tmp_path / "r.pt"
    torch.save(timm.create_model("resnet18").state_dict(), path)
    with pytest.raises(ConfigError, match="allow_unit_mismatch"):
        _built("eo/resnet18", "cls", weights=str(path), weights_unit="reflectance_0_1")
    adapter, _ = _built(
        "eo/resnet18",
        "cls",
        weights=str(path),
        weights_unit="reflectance_0_1",
        allow_unit_mismatch=True,
    )
    assert adapter.card.input_unit == "reflectance_0_1"


def test_unknown_model_kwargs_are_refused():
    with pytest.raises(ConfigError, match="decodr"):
        timm_adapter("eo/resnet18", decodr="fpn")


@pytest.mark.parametrize("decoder", ["unet", "fpn", "upernet", "segformer"])
def test_convnext_segmentation_decoders_give_full_resolution_logits(decoder):
    adapter, data = _built("eo/convnext-atto", "seg", decoder=decoder)
    out = adapter.predict(next(iter(data.loader("test", 2))))
    assert out.shape == (2, 2, 32, 32)


def test_fit_reduces_training_loss_and_reports_validation_metric():
    torch.manual_seed(0)
    adapter, data = _built("eo/convnext-atto", "cls", bands=S2_13)
    seen = []
    result = adapter.fit(
        data,
        TrainConfig(epochs=3, batch_size=4, lr=3e-3, amp=False, early_stop_patience=0),
        lambda e, m: seen.append(m),
    )
    assert result.epochs_run == 3
    assert "val/overall_accuracy" in seen[0]
    assert seen[-1]["train/loss"] < seen[0]["train/loss"]


def test_multilabel_predictions_are_probabilities():
    adapter, data = _built("eo/resnet18", "multilabel")
    out = adapter.predict(next(iter(data.loader("test", 3))))
    assert out.shape == (3, 4) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_multitemporal_input_is_pooled_over_time_for_2d_backbones():
    task = tiny_task("seg", SIX, 32, timesteps=3)
    data = TinyEOData("seg", SIX, 32, timesteps=3)
    adapter = timm_adapter("eo/resnet18")
    adapter.build(task, PROTOCOLS["finetune"], RunConfig(device="cpu"), data)
    batch = next(iter(data.loader("test", 2)))
    assert batch["image"].shape == (2, 3, 6, 32, 32)
    assert adapter.predict(batch).shape == (2, 2, 32, 32)
