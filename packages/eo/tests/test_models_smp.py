"""smp encoders (``eo/smp-*``): feature levels, and pretrained weights read key for key from an
smp state dict or from the initializers of an ONNX model, adapted to the data's bands by name."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from geoarena.core.config import RunConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.samples import sample_source
from geoarena.eo.models.checkpoints import load_state_dict
from geoarena.eo.models.smp_encoders import SmpEncoder, checkpoint_card_kwargs, encoder_state
from geoarena.eo.models.smp_zoo import CSMASK, smp_adapter
from geoarena.eo.models.testing import TinyEOData, tiny_task

PROTOCOLS = {p.name: p for p in STANDARD_PROTOCOLS}
CARD = ("blue", "green", "red", "nir")
#: the smallest EfficientNet: the same smp code path as the registered B4
ENCODER = "efficientnet-b0"


def write_onnx(state: dict[str, torch.Tensor], path) -> None:
    """An ONNX model whose initializers are ``state`` (by name), written with onnx's own writer:
    the layout of a PyTorch export that kept parameter names; one Identity node makes it a
    valid graph."""
    inits = [numpy_helper.from_array(v.detach().numpy().copy(), name=k) for k, v in state.items()]
    first = next(iter(state))
    graph = helper.make_graph(
        [helper.make_node("Identity", [first], ["out"])],
        "weights",
        [],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, list(state[first].shape))],
        initializer=inits,
    )
    model = helper.make_model(graph)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


@pytest.fixture(scope="module")
def source_encoder():
    torch.manual_seed(0)
    return SmpEncoder(ENCODER, in_chans=len(CARD))


@pytest.mark.parametrize("stride", [32, 8])
def test_levels_channels_and_reductions_match_the_maps(stride):
    enc = SmpEncoder(ENCODER, in_chans=3, output_stride=stride)
    feats = enc.forward_features(torch.randn(2, 3, 64, 64))
    assert [f.shape[1] for f in feats] == enc.channels
    assert [64 // f.shape[-1] for f in feats] == enc.reductions
    assert enc.reductions[-1] == stride
    assert enc.forward_pooled(torch.randn(2, 3, 64, 64)).shape == (2, enc.embed_dim)
    assert enc.first_conv == "_conv_stem"
    assert len(enc.stages()) == 16  # B0's MBConv blocks


def test_onnx_initializers_load_by_name_and_the_stem_adapts_to_the_bands(source_encoder, tmp_path):
    # a whole smp model's names ("model.encoder." prefix, as the csmask export has) plus a
    # decoder tensor that must be left out
    state = {f"model.encoder.{k}": v for k, v in source_encoder.model.state_dict().items()}
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    state["model.decoder.blocks.0.conv1.0.weight"] = torch.ones(4, 4, 3, 3)
    path = tmp_path / "csmask_like.onnx"
    write_onnx(state, path)
    read = load_state_dict(path)
    assert set(read) == set(state)
    torch.testing.assert_close(
        read["model.encoder._blocks.3._bn1.running_var"],
        state["model.encoder._blocks.3._bn1.running_var"],
    )

    target = SmpEncoder(ENCODER, in_chans=2)  # data: red + a band the card lacks
    report = target.load_pretrained(path, CARD, ("red", "swir16"))
    assert report["missing"] == [] and report["unexpected"] == []
    assert report["band_mapping"] == ["red<-red, swir16<-mean"]
    src, got = source_encoder.model.state_dict(), target.model.state_dict()
    for key in ("_blocks.5._depthwise_conv.weight", "_bn0.running_mean", "_blocks.15._bn2.bias"):
        torch.testing.assert_close(got[key], src[key])
    stem = src["_conv_stem.weight"]
    torch.testing.assert_close(got["_conv_stem.weight"][:, 0], stem[:, 2])  # red kept
    torch.testing.assert_close(got["_conv_stem.weight"][:, 1], stem.mean(dim=1) * 4 / 2)


def test_prefix_is_found_from_the_stem_and_a_foreign_checkpoint_is_refused(source_encoder):
    own = source_encoder.model.state_dict()
    for prefix in ("", "encoder.", "module.model.encoder."):
        cut = encoder_state({f"{prefix}{k}": v for k, v in own.items()}, own, "x.pth")
        assert set(cut) == set(own)
    with pytest.raises(ConfigError, match=r"no encoder stem weight ending in '_conv_stem\.weight'"):
        encoder_state({"backbone.conv1.weight": torch.zeros(1)}, own, "resnet.pth")


def test_a_folded_export_is_refused_naming_the_missing_weights(tmp_path):
    # constant-folded exports rename everything onnx::Conv_…: nothing of the encoder matches
    path = tmp_path / "folded.onnx"
    write_onnx({"onnx::Conv_1": torch.zeros(2, 2)}, path)
    with pytest.raises(ConfigError, match="no encoder stem weight"):
        SmpEncoder(ENCODER, in_chans=1).load_pretrained(path, CARD, ("pan",))


def test_pretrained_adapter_segments_with_the_loaded_encoder(source_encoder, tmp_path):
    path = tmp_path / "enc.onnx"
    write_onnx(
        {
            f"encoder.{k}": v
            for k, v in source_encoder.model.state_dict().items()
            if not k.endswith("num_batches_tracked")
        },
        path,
    )
    bands = ("B04", "B08")
    task, data = tiny_task("seg", bands, 32), TinyEOData("seg", bands, 32)
    adapter = smp_adapter(
        "eo/smp-efficientnet-b0",
        ENCODER,
        weights=str(path),
        weights_bands=CARD,
        arch={"output_stride": 16},
    )
    adapter.build(task, PROTOCOLS["finetune"], RunConfig(device="cpu"), data)
    assert adapter.card.extra["band_mapping"] == ["B04<-red, B08<-nir"]
    enc = adapter.model.net.encoder
    torch.testing.assert_close(
        enc.model.state_dict()["_conv_stem.weight"],
        source_encoder.model.state_dict()["_conv_stem.weight"][:, 2:],
    )
    data.setup()
    batch = next(iter(data.loader("train", 2)))
    assert adapter.model(batch).shape == (2, task.num_classes, 32, 32)


def test_card_kwargs_read_bands_and_statistics(tmp_path):
    card = tmp_path / "model_4b_l1c.json"
    card.write_text(
        json.dumps(
            {
                "data": {
                    "dataset_statistics": {
                        "img": [[0.27, 0.25, 0.26, 0.33], [0.24, 0.22, 0.25, 0.23]],
                        "band_names": list(CARD),
                    }
                }
            }
        )
    )
    kw = checkpoint_card_kwargs(tmp_path / "model_4b_l1c.onnx", card)
    assert kw["weights_bands"] == CARD
    assert kw["weights_mean"] == (0.27, 0.25, 0.26, 0.33)
    assert kw["weights_std"][3] == pytest.approx(0.23)
    assert kw["weights"].endswith("model_4b_l1c.onnx")


def test_the_csmask_wheel_is_pinned_and_only_fetched_on_demand():
    src = sample_source(CSMASK.name)
    assert src.on_demand and src.package == "ukis-csmask" and src.version == "1.0.0"
    assert len(src.sha256) == 64 and int(src.sha256, 16) > 0
    assert "Apache-2.0" in src.license


def test_same_padding_follows_the_input_and_equals_smp_at_its_built_size():
    import copy

    import segmentation_models_pytorch as smp

    from geoarena.eo.models.smp_encoders import _dynamic_same_padding

    torch.manual_seed(0)
    static = smp.encoders.get_encoder(ENCODER, in_channels=1, depth=5, weights=None).eval()
    dynamic = copy.deepcopy(static)
    _dynamic_same_padding(dynamic)
    x = torch.randn(1, 1, 224, 224)  # B0's built size: smp's static padding is right here
    with torch.no_grad():
        for a, b in zip(static(x), dynamic.eval()(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    # 16 px chips: the deepest maps are 1 px; smp's static padding made them smaller than a kernel
    with pytest.raises(RuntimeError):
        static(torch.randn(1, 1, 16, 16))
    feats = SmpEncoder(ENCODER, in_chans=1).eval().forward_features(torch.randn(1, 1, 16, 16))
    assert [f.shape[-1] for f in feats] == [8, 4, 2, 1, 1]


def test_an_smp_model_exports_for_serving_and_predicts_like_the_trained_net(tmp_path):
    """The served artefacts (TorchScript + ONNX, checked against onnxruntime) of a dilated smp
    model give the trained network's class map: the winner can go on to a map."""
    from geoarena.eo.models.export import export_eo_model, load_eo_predictor

    torch.manual_seed(0)
    bands = ("B04", "B08")
    task, data = tiny_task("seg", bands, 32), TinyEOData("seg", bands, 32)
    data.setup()
    adapter = smp_adapter("eo/smp-efficientnet-b0", ENCODER, arch={"output_stride": 8})
    adapter.build(task, PROTOCOLS["finetune"], RunConfig(device="cpu"), data)
    adapter.model.eval()
    exported = export_eo_model(adapter, tmp_path)
    assert set(exported.files) == {"torchscript", "onnx"}
    batch = next(iter(data.loader("test", 2)))
    with torch.no_grad():
        expected = adapter.model(batch).argmax(1).numpy()
    # raw chips in the data's unit (this toy task's statistics are identity when not stated)
    mean = np.asarray(data.info.mean or [0.0] * len(bands), np.float32)[:, None, None]
    std = np.asarray(data.info.std or [1.0] * len(bands), np.float32)[:, None, None]
    raw = batch["image"].numpy() * std + mean
    served = load_eo_predictor(exported.files, exported.card).predict(raw.astype(np.float32))
    assert served.shape == (2, 32, 32)
    assert (served == expected).mean() > 0.99
