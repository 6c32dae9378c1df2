"""Segmentation decoders and necks over a list of encoder feature maps.

Every decoder takes ``features`` (list of ``(B, C_i, H/r_i, W/r_i)`` maps, finest first) and
returns logits ``(B, num_classes, H, W)`` at the input size given by ``out_size``. They are
written from the papers' descriptions:

- ``LinearHead``: a 1×1 conv on the deepest map, bilinearly upsampled (the linear probe).
- ``UNetDecoder``: upsample-concatenate-conv stages from deepest to finest (Ronneberger 2015).
- ``FPNDecoder``: lateral 1×1 + top-down sum, per-level 3×3, sum of upsampled levels
  (Kirillov et al. 2019 semantic FPN).
- ``UPerNetDecoder``: pyramid pooling on the deepest map + FPN, fused (Xiao et al. 2018).
- ``SegFormerHead``: per-level linear projection to one width, upsample, concat, fuse (Xie 2021).
- ``SimpleFeaturePyramid``: the ViTDet neck turning one stride-16 ViT map into strides
  4/8/16/32 (Li et al. 2022) so hierarchical decoders work on plain ViTs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from geoarena.core.errors import ConfigError


def conv_bn_relu(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _resize(x: torch.Tensor, size: Sequence[int], mode: str = "bilinear") -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    corners = None if mode == "nearest" else False  # nearest takes no align_corners
    return F.interpolate(x, size=tuple(size), mode=mode, align_corners=corners)


class LinearHead(nn.Module):
    """1×1 conv classifier on the deepest feature map, upsampled to the input."""

    def __init__(self, channels: Sequence[int], num_classes: int):
        super().__init__()
        self.classifier = nn.Conv2d(channels[-1], num_classes, 1)

    def forward(self, features: list[torch.Tensor], out_size: Sequence[int]) -> torch.Tensor:
        return _resize(self.classifier(features[-1]), out_size)


class UNetDecoder(nn.Module):
    """U-Net decoder: from the deepest map, repeatedly upsample ×2-to-match, concat the skip,
    two 3×3 conv-BN-ReLU. ``upsample``: ``bilinear``, or ``nearest`` as smp's U-Net (its
    pretrained blocks load here: ``geoarena.eo.models.decoder_transfer``)."""

    def __init__(
        self,
        channels: Sequence[int],
        num_classes: int,
        widths: Sequence[int] | None = None,
        upsample: str = "bilinear",
    ):
        super().__init__()
        self.upsample = upsample
        n = len(channels)
        widths = list(widths or [max(16, c // 2) for c in channels])
        self.blocks = nn.ModuleList()
        cin = channels[-1]
        for i in range(n - 2, -1, -1):
            self.blocks.append(
                nn.Sequential(
                    conv_bn_relu(cin + channels[i], widths[i]), conv_bn_relu(widths[i], widths[i])
                )
            )
            cin = widths[i]
        self.classifier = nn.Conv2d(cin, num_classes, 1)

    def forward(self, features: list[torch.Tensor], out_size: Sequence[int]) -> torch.Tensor:
        x = features[-1]
        for block, skip in zip(self.blocks, reversed(features[:-1])):
            x = block(torch.cat([_resize(x, skip.shape[-2:], self.upsample), skip], dim=1))
        return _resize(self.classifier(x), out_size)


class FPNDecoder(nn.Module):
    """Semantic FPN: lateral 1×1 convs, top-down pathway, 3×3 smoothing, sum at the finest level."""

    def __init__(self, channels: Sequence[int], num_classes: int, width: int = 64):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in channels)
        self.smooth = nn.ModuleList(conv_bn_relu(width, width) for _ in channels)
        self.classifier = nn.Conv2d(width, num_classes, 1)

    def pyramid(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        lat = [conv(f) for conv, f in zip(self.lateral, features)]
        for i in range(len(lat) - 2, -1, -1):
            lat[i] = lat[i] + _resize(lat[i + 1], lat[i].shape[-2:])
        return [s(x) for s, x in zip(self.smooth, lat)]

    def forward(self, features: list[torch.Tensor], out_size: Sequence[int]) -> torch.Tensor:
        levels = self.pyramid(features)
        fused = sum(_resize(x, levels[0].shape[-2:]) for x in levels)
        return _resize(self.classifier(fused), out_size)


class PyramidPooling(nn.Module):
    """PSPNet pooling module: adaptive average pools at several scales, concatenated."""

    def __init__(self, cin: int, width: int, scales: Sequence[int] = (1, 2, 3, 6)):
        super().__init__()
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(s), nn.Conv2d(cin, width, 1), nn.ReLU(inplace=True))
            for s in scales
        )
        self.bottleneck = conv_bn_relu(cin + width * len(scales), width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = [_resize(stage(x), x.shape[-2:]) for stage in self.stages]
        return self.bottleneck(torch.cat([x, *pooled], dim=1))


class UPerNetDecoder(nn.Module):
    """UPerNet: PPM on the deepest level feeds an FPN; all levels are upsampled and fused."""

    def __init__(self, channels: Sequence[int], num_classes: int, width: int = 64):
        super().__init__()
        self.ppm = PyramidPooling(channels[-1], width)
        self.lateral = nn.ModuleList(conv_bn_relu(c, width, 1) for c in channels[:-1])
        self.fpn_out = nn.ModuleList(conv_bn_relu(width, width) for _ in channels[:-1])
        self.fuse = conv_bn_relu(width * len(channels), width)
        self.classifier = nn.Conv2d(width, num_classes, 1)

    def forward(self, features: list[torch.Tensor], out_size: Sequence[int]) -> torch.Tensor:
        lat = [conv(f) for conv, f in zip(self.lateral, features[:-1])]
        lat.append(self.ppm(features[-1]))
        for i in range(len(lat) - 2, -1, -1):
            lat[i] = lat[i] + _resize(lat[i + 1], lat[i].shape[-2:])
        outs = [conv(x) for conv, x in zip(self.fpn_out, lat[:-1])] + [lat[-1]]
        size = outs[0].shape[-2:]
        fused = self.fuse(torch.cat([_resize(o, size) for o in outs], dim=1))
        return _resize(self.classifier(fused), out_size)


class SegFormerHead(nn.Module):
    """All-MLP head: per-level linear projection (1×1) to one width, upsample, concat, fuse."""

    def __init__(self, channels: Sequence[int], num_classes: int, width: int = 64):
        super().__init__()
        self.proj = nn.ModuleList(nn.Conv2d(c, width, 1) for c in channels)
        self.fuse = conv_bn_relu(width * len(channels), width, 1)
        self.classifier = nn.Conv2d(width, num_classes, 1)

    def forward(self, features: list[torch.Tensor], out_size: Sequence[int]) -> torch.Tensor:
        size = features[0].shape[-2:]
        x = torch.cat([_resize(p(f), size) for p, f in zip(self.proj, features)], dim=1)
        return _resize(self.classifier(self.fuse(x)), out_size)


class SimpleFeaturePyramid(nn.Module):
    """ViTDet neck: from one stride-``s`` map build strides ``s/4, s/2, s, 2s`` with two
    transposed convs, one, identity and a max-pool; each followed by 1×1 + 3×3 projections.

    Takes the list of ViT block outputs (all at stride ``s``) and uses one per level (the
    last four given), so that shallower blocks feed the finer levels as in UPerNet-on-ViT.
    """

    def __init__(self, embed_dim: int, out_channels: Sequence[int] = (64, 64, 64, 64)):
        super().__init__()
        d = embed_dim
        self.scales = nn.ModuleList(
            [
                nn.Sequential(
                    nn.ConvTranspose2d(d, d // 2, 2, 2),
                    nn.BatchNorm2d(d // 2),
                    nn.GELU(),
                    nn.ConvTranspose2d(d // 2, d // 4, 2, 2),
                ),
                nn.ConvTranspose2d(d, d // 2, 2, 2),
                nn.Identity(),
                nn.MaxPool2d(2),
            ]
        )
        in_ch = [d // 4, d // 2, d, d]
        self.out_channels = list(out_channels)
        self.proj = nn.ModuleList(
            nn.Sequential(conv_bn_relu(ci, co, 1), conv_bn_relu(co, co))
            for ci, co in zip(in_ch, out_channels)
        )

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        picks = list(features[-4:]) if len(features) >= 4 else [features[-1]] * 4
        return [p(s(f)) for p, s, f in zip(self.proj, self.scales, picks)]


DECODERS = {
    "linear": LinearHead,
    "unet": UNetDecoder,
    "fpn": FPNDecoder,
    "upernet": UPerNetDecoder,
    "segformer": SegFormerHead,
}


def build_decoder(name: str, channels: Sequence[int], num_classes: int) -> nn.Module:
    """Decoder ``name`` for encoder feature ``channels`` (finest first); ``mmseg-<head>`` names
    build mmsegmentation decode heads (``geoarena.eo.models.mmseg_adapter``)."""
    if name.startswith("mmseg-"):
        from geoarena.eo.models.mmseg_adapter import MMSegDecoder

        return MMSegDecoder(name.removeprefix("mmseg-"), list(channels), num_classes)
    if name not in DECODERS:
        raise ConfigError(f"unknown decoder {name!r}; choose one of {', '.join(DECODERS)}")
    return DECODERS[name](list(channels), num_classes)
