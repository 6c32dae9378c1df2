"""Contract of every registered EO backbone × protocol on tiny configs: forward, backward,
frozen parameters really frozen (no gradient, unchanged after an optimiser step, BatchNorm
statistics too), band adaptation for 3/6/13 bands and multi-temporal input shapes.

The checks themselves live in ``geoarena.eo.models.testing.check_adapter_contract`` so that
other suites (and a future ``geoarena.train.testing``) can run them on any adapter.
"""

from __future__ import annotations

import pytest
import torch

from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.registry import MODELS
from geoarena.eo.models.testing import HLS_6, RGB_3, S2_13, check_adapter_contract

PROTOCOLS = {p.name: p for p in STANDARD_PROTOCOLS}

#: tiny architecture overrides per registered model (same code path, CPU-second sizes)
TINY_ARCH = {
    "eo/resnet18": {},
    "eo/convnext-atto": {},
    "eo/vit-tiny": {"depth": 3},
    "eo/swin-tiny": {"embed_dim": 24, "depths": (1, 1, 1, 1), "num_heads": (1, 1, 2, 2)},
    "eo/prithvi-tiny": {},
    "eo/wavelength-vit": {"embed_dim": 32, "depth": 3, "num_heads": 2},
    "eo/satmae-small": {"embed_dim": 32, "depth": 3, "num_heads": 2},
}
#: registered models covered elsewhere: larger sizes of a tested architecture (meta-device
#: parameter counts in test_models_prithvi) and mmseg (slow file test_models_mmseg)
SIZE_VARIANTS = {"eo/resnet50", "eo/convnext-femto", "eo/vit-small", "eo/mmseg-unet"} | {
    n for n in MODELS.names("eo/prithvi-eo2-")
}


def _adapter(name: str):
    return MODELS.get(name)(arch=TINY_ARCH[name])


def test_every_registered_torch_backbone_is_under_contract():
    torch_models = {
        n
        for n in MODELS.names("eo/")
        if MODELS.meta(n).get("family") in {"timm", "prithvi", "wavelength", "satmae", "mmseg"}
    }
    assert torch_models == set(TINY_ARCH) | SIZE_VARIANTS


@pytest.mark.slow  # 35 cells: ~1–2 s each on an idle 2-core machine
@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("name", list(TINY_ARCH))
def test_segmentation_contract(name, protocol):
    torch.manual_seed(0)
    facts = check_adapter_contract(_adapter(name), PROTOCOLS[protocol], kind="seg", bands=HLS_6)
    enc = {n for n in facts["trainable"] | facts["frozen"] if n.startswith("net.encoder.")}
    enc_trainable = {n for n in facts["trainable"] if n.startswith("net.encoder.")}
    if protocol == "finetune":
        assert enc_trainable == enc
    elif protocol in ("linear_probe", "frozen"):
        assert not enc_trainable
    elif protocol == "partial2":
        assert enc_trainable and enc_trainable != enc
    elif protocol == "lora":
        assert enc_trainable and all("lora_" in n for n in enc_trainable)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TINY_ARCH))
@pytest.mark.parametrize("bands", [RGB_3, HLS_6, S2_13], ids=["3", "6", "13"])
def test_classification_band_counts(name, bands):
    torch.manual_seed(0)
    facts = check_adapter_contract(
        _adapter(name), PROTOCOLS["linear_probe"], kind="cls", bands=bands
    )
    assert facts["pred_shape"] == (2, 4)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TINY_ARCH))
def test_multitemporal_input_shapes(name):
    torch.manual_seed(0)
    facts = check_adapter_contract(
        _adapter(name), PROTOCOLS["finetune"], kind="seg", bands=HLS_6, timesteps=3
    )
    assert facts["pred_shape"] == (2, 2, 32, 32)


def test_fast_contract_smoke_one_cnn_and_one_vit():
    """The non-slow guard: a CNN under LoRA and a temporal ViT under partial fine-tuning."""
    torch.manual_seed(0)
    check_adapter_contract(_adapter("eo/convnext-atto"), PROTOCOLS["lora"], kind="seg", bands=S2_13)
    check_adapter_contract(
        _adapter("eo/prithvi-tiny"), PROTOCOLS["partial2"], kind="cls", bands=HLS_6, timesteps=2
    )
