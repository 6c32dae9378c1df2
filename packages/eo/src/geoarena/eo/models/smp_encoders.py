"""segmentation_models_pytorch encoders as EO encoders (``eo/smp-<encoder>``).

smp's encoders (EfficientNet, ResNet, MiT…) are what most published U-Net checkpoints in remote
sensing were trained with, so their weights load here key for key: from an smp ``.pth`` /
``.safetensors`` state dict or from the initializers of an ONNX export of an smp model (see
:func:`geoarena.eo.models.checkpoints.load_state_dict`). The encoder feeds GeoArena's own
decoders (U-Net by default); only encoder weights are taken from a checkpoint, and its input
layer is adapted to the data's bands by name like every other EO encoder.

``eo/smp-efficientnet-b4-csmask`` (registered in :mod:`geoarena.eo.models.smp_zoo`) is such a
checkpoint as a preset: the EfficientNet-B4 encoder
of ukis-csmask's 4-band (blue, green, red, near-infrared) Sentinel-2 L1C cloud and cloud-shadow
U-Net (Apache-2.0; ImageNet-initialised by its authors, then trained on their cloud masks),
fetched from its registry package with a pinned sha256 (``python tools/fetch_samples.py
ukis-csmask-1.0.0``; 145 MB, so only on demand). It is the one pretrained convolutional
encoder for imagery that a package registry ships.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.eo.models.encoders import Encoder

#: classifier-side layers of smp encoders that the feature path never runs (an ONNX export
#: drops them, so a checkpoint read from one lacks them)
UNUSED_LAYERS = ("_conv_head", "_bn1", "_fc", "fc", "classifier", "head")


class SmpEncoder(Encoder):
    """An smp encoder returning its five feature levels (strides 2 … 32, or capped at
    ``output_stride`` by dilation) for segmentation and their global mean for classification.

    Args:
        encoder_name: smp encoder name (``efficientnet-b4``, ``resnet34``, ``mit_b0``…).
        in_chans: number of input bands.
        output_stride: 32 (default), 16 or 8 — dilated last stages keep small chips' deepest
            maps larger.
    """

    def __init__(self, encoder_name: str, in_chans: int, output_stride: int = 32):
        super().__init__()
        import segmentation_models_pytorch as smp

        if output_stride not in (8, 16, 32):
            raise ConfigError(f"{encoder_name}: output_stride {output_stride} (choose 8, 16, 32)")
        try:
            self.model = smp.encoders.get_encoder(
                encoder_name,
                in_channels=in_chans,
                depth=5,
                weights=None,
                output_stride=output_stride,
            )
        except KeyError as exc:
            raise ConfigError(f"unknown smp encoder {encoder_name!r}") from exc
        _dynamic_same_padding(self.model)
        for name in UNUSED_LAYERS:
            if isinstance(getattr(self.model, name, None), nn.Module):
                delattr(self.model, name)
        self.encoder_name = encoder_name
        self.in_chans = in_chans
        self.channels = list(self.model.out_channels[1:])
        self.reductions = [min(2**i, output_stride) for i in range(1, 6)]
        self.embed_dim = self.channels[-1]
        self.first_conv = next(
            name
            for name, m in self.model.named_modules()
            if isinstance(m, nn.Conv2d) and m.in_channels == in_chans
        )

    def forward_features(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> list[torch.Tensor]:
        return list(self.model(x)[1:])  # level 0 is the input itself

    def forward_pooled(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        return self.model(x)[-1].mean(dim=(2, 3))

    def stages(self) -> list[nn.Module]:
        m = self.model
        if hasattr(m, "_blocks"):  # EfficientNet: one entry per MBConv block
            return list(m._blocks)
        if hasattr(m, "layer4"):
            return [m.layer1, m.layer2, m.layer3, m.layer4]
        raise ConfigError(f"{self.encoder_name}: no sequential blocks known for partial")

    def load_pretrained(
        self, path: str | Path, card_bands: Sequence[str], data_bands: Sequence[str]
    ) -> dict[str, list[str]]:
        """Load the encoder part of a local smp checkpoint (state dict or ONNX export) trained
        on ``card_bands``; its input layer is adapted to ``data_bands`` by name."""
        from geoarena.eo.models.adaptation import adapt_input_weight, map_bands
        from geoarena.eo.models.checkpoints import load_state_dict

        state = encoder_state(load_state_dict(path), self.model.state_dict(), path)
        key = f"{self.first_conv}.weight"
        mapping = map_bands(tuple(data_bands), tuple(card_bands))
        state[key] = adapt_input_weight(state[key], mapping)
        # nn.Module's own loader: smp's override returns nothing, and the keys are wanted here
        result = nn.Module.load_state_dict(self.model, state, strict=False)
        return {
            "missing": [k for k in result.missing_keys if not k.endswith("num_batches_tracked")],
            "unexpected": list(result.unexpected_keys),
            "band_mapping": [mapping.describe()],
        }


def _dynamic_same_padding(model: nn.Module) -> None:
    """Swap smp's EfficientNet "static same" convolutions for its dynamic ones, in place.

    smp builds EfficientNet's TensorFlow-style "same" padding for one fixed input size (380 px
    for B4). On other sizes that padding is off by a pixel at some levels, and on small chips
    the deepest maps end up smaller than the kernel (a crash on 64 px chips at stride 32).
    The dynamic convolution pads for the input it gets — the same as the static one at the
    size it was built for — with the same weights, stride and dilation (so this runs after
    smp's dilation for ``output_stride``, which clears the static padding of the convolutions
    it dilates). A traced export (TorchScript, ONNX) fixes the padding of the traced chip size;
    it is the same for every size whose maps stay even down to stride 32 (multiples of 32 px),
    and serving feeds the card's chip size anyway."""
    from segmentation_models_pytorch.encoders._efficientnet import (
        Conv2dDynamicSamePadding,
        Conv2dStaticSamePadding,
    )

    for parent in list(model.modules()):
        for child_name, conv in list(parent.named_children()):
            if not isinstance(conv, Conv2dStaticSamePadding):
                continue
            if isinstance(conv.static_padding, nn.Identity) and conv.dilation != (1, 1):
                continue  # dilated by smp: symmetric padding already set on the conv itself
            dyn = Conv2dDynamicSamePadding(
                conv.in_channels,
                conv.out_channels,
                conv.kernel_size,
                conv.stride,
                conv.dilation,
                conv.groups,
                conv.bias is not None,
            )
            dyn.load_state_dict(conv.state_dict())
            setattr(parent, child_name, dyn)


def encoder_state(
    state: dict[str, torch.Tensor], own: dict[str, torch.Tensor], path: str | Path
) -> dict[str, torch.Tensor]:
    """The encoder's tensors of a whole-model checkpoint, with the whole model's prefix
    (``encoder.``, ``model.encoder.``…) cut: the prefix is whatever precedes the encoder's first
    own key (its stem) in the checkpoint."""
    stem = next(iter(own))
    hits = sorted((k for k in state if k == stem or k.endswith("." + stem)), key=len)
    if not hits:
        raise ConfigError(f"{path}: checkpoint has no encoder stem weight ending in {stem!r}")
    prefix = hits[0][: -len(stem)]
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def checkpoint_card_kwargs(weights: Path, card: Path) -> dict[str, Any]:
    """``weights``, ``weights_bands``, ``weights_mean`` and ``weights_std`` from a ukis-csmask
    style model card (``data.dataset_statistics.{img, band_names}``)."""
    stats = json.loads(card.read_text())["data"]["dataset_statistics"]
    mean, std = stats["img"]
    return {
        "weights": str(weights),
        "weights_bands": tuple(stats["band_names"]),
        "weights_mean": tuple(mean),
        "weights_std": tuple(std),
        "weights_unit": "reflectance",
    }
