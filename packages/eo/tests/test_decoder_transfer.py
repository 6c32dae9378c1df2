"""``model_kwargs`` ``decoder_weights``: the decoder blocks of a whole smp U-Net checkpoint
(the layout of ukis-csmask's cloud U-Nets) load into GeoArena's U-Net decoder and compute
exactly what smp's blocks compute on the same encoder levels."""

from __future__ import annotations

import pytest
import torch

from geoarena.core.config import RunConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.eo.models.smp_zoo import smp_adapter
from geoarena.eo.models.testing import TinyEOData, tiny_task

FINETUNE = next(p for p in STANDARD_PROTOCOLS if p.name == "finetune")
CARD = ("blue", "green", "red", "nir")
BANDS = ("B02", "B03", "B04", "B08")  # the card's bands in its order: the stem loads unchanged
ENCODER = "efficientnet-b0"  # the smallest EfficientNet, the same smp code path as B4


@pytest.fixture(scope="module")
def smp_unet():
    import segmentation_models_pytorch as smp

    torch.manual_seed(0)
    net = smp.Unet(ENCODER, encoder_weights=None, in_channels=4, classes=3)
    for m in net.decoder.modules():  # trained-looking statistics, so a mix-up would show
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return net.eval()


def _checkpoint(net, path, decoder=True):
    state = {
        f"model.{k}": v  # csmask's export names every tensor under "model."
        for k, v in net.state_dict().items()
        if (decoder or not k.startswith("decoder.")) and not k.endswith("num_batches_tracked")
    }
    torch.save(state, path)
    return str(path)


def _adapter(path, kind="seg", **kw):
    adapter = smp_adapter(
        "eo/smp-efficientnet-b0",
        ENCODER,
        weights=path,
        weights_bands=CARD,
        decoder_weights=True,
        **kw,
    )
    adapter.build(
        tiny_task(kind, BANDS, 64), FINETUNE, RunConfig(device="cpu"), TinyEOData(kind, BANDS, 64)
    )
    return adapter


def test_blocks_load_and_compute_what_smp_computes(smp_unet, tmp_path):
    adapter = _adapter(_checkpoint(smp_unet, tmp_path / "unet.pth"))
    net = adapter.model.net.eval()
    decoder = net.decoder
    assert decoder.upsample == "nearest"
    assert [b[0][0].out_channels for b in decoder.blocks] == [256, 128, 64, 32]
    assert decoder.classifier.out_channels == 2  # the task's classes, from random init
    assert len(adapter.load_report["decoder_loaded"]) == 4 * 2 * 5  # blocks × convs × tensors
    assert adapter.card.extra["decoder_weights"].endswith("unet.pth")
    x = torch.randn(2, 4, 64, 64)
    with torch.no_grad():
        feats = net.encoder.forward_features(x)
        ours = {}
        decoder.blocks[-1].register_forward_hook(lambda m, i, o: ours.update(out=o))
        decoder(feats, x.shape[-2:])
        y = feats[-1]
        for i, block in enumerate(smp_unet.decoder.blocks[:4]):
            skip = feats[-2 - i]
            y = block(y, *skip.shape[-2:], skip_connection=skip)
    torch.testing.assert_close(ours["out"], y)


def test_dilated_encoder_takes_the_same_blocks(smp_unet, tmp_path):
    adapter = _adapter(_checkpoint(smp_unet, tmp_path / "unet.pth"), arch={"output_stride": 8})
    got = adapter.model.net.decoder.blocks[0][0][0].weight
    torch.testing.assert_close(got, smp_unet.decoder.blocks[0].conv1[0].weight)


def test_what_cannot_take_a_decoder_is_refused_naming_it(smp_unet, tmp_path):
    path = _checkpoint(smp_unet, tmp_path / "unet.pth")
    with pytest.raises(ConfigError, match="has 'fpn'"):
        _adapter(path, decoder="fpn")
    with pytest.raises(ConfigError, match="with a neck or input_skip"):
        _adapter(path, input_skip=8)
    with pytest.raises(ConfigError, match="classification head"):
        _adapter(path, kind="cls")
    encoder_only = _checkpoint(smp_unet, tmp_path / "encoder.pth", decoder=False)
    with pytest.raises(ConfigError, match=r"encoder\.pth: decoder_weights needs an smp U-Net"):
        _adapter(encoder_only)
    with pytest.raises(ConfigError, match="no weights file"):
        adapter = smp_adapter("eo/smp-efficientnet-b0", ENCODER, decoder_weights=True)
        adapter.build(
            tiny_task("seg", BANDS, 64),
            FINETUNE,
            RunConfig(device="cpu"),
            TinyEOData("seg", BANDS, 64),
        )
