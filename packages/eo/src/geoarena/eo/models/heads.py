"""Task models: an ``Encoder`` plus a classification head or a (neck +) segmentation decoder.

Non-temporal encoders accept multi-temporal input ``(B, T, C, H, W)`` too: the time steps are
folded into the batch and their features averaged (temporal mean pooling), so every backbone
runs on time series; temporal encoders (Prithvi, SatMAE) see the series themselves.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from geoarena.eo.models.decoders import SimpleFeaturePyramid, build_decoder, conv_bn_relu
from geoarena.eo.models.encoders import Encoder


def _fold_time(encoder: Encoder, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    if x.ndim == 5 and not encoder.temporal:
        return x.flatten(0, 1), x.shape[1]
    return x, 1


def _unfold_mean(y: torch.Tensor, t: int) -> torch.Tensor:
    if t == 1:
        return y
    return y.unflatten(0, (-1, t)).mean(dim=1)


class ProbeNorm(nn.BatchNorm1d):
    """Parameter-free BatchNorm of pooled features before a linear probe (the MAE paper's
    linear-probing recipe: ``BatchNorm1d(affine=False)``), so features of any scale — random or
    pretrained — reach the linear layer standardised. At inference it is a fixed affine map, so
    the probe stays linear. A training batch of one sample uses the running statistics."""

    def __init__(self, dim: int):
        super().__init__(dim, affine=False, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and x.shape[0] < 2:
            return F.batch_norm(
                x, self.running_mean, self.running_var, training=False, eps=self.eps
            )
        return super().forward(x)


class ClassifierModel(nn.Module):
    """Pooled encoder features → (``ProbeNorm`` when ``norm``) → linear layer (``num_outputs``
    logits)."""

    def __init__(
        self, encoder: Encoder, num_outputs: int, dropout: float = 0.0, norm: bool = False
    ):
        super().__init__()
        self.encoder = encoder
        layers: list[nn.Module] = [ProbeNorm(encoder.embed_dim)] if norm else []
        self.head = nn.Sequential(
            *layers, nn.Dropout(dropout), nn.Linear(encoder.embed_dim, num_outputs)
        )

    def forward(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        x, t = _fold_time(self.encoder, x)
        return self.head(_unfold_mean(self.encoder.forward_pooled(x, meta), t))


class SegmenterModel(nn.Module):
    """Encoder feature pyramid (through a ViT neck when single-scale) → decoder → logits at
    the input size."""

    def __init__(
        self,
        encoder: Encoder,
        num_classes: int,
        decoder: str = "unet",
        neck: str = "auto",
        input_skip: int = 0,
        in_chans: int = 0,
    ):
        """``input_skip > 0`` adds a full-resolution level before the encoder's finest map: two
        3×3 conv-BN-ReLU of the input itself, ``input_skip`` channels wide (the decoder's
        finest skip is otherwise at stride 2 or coarser, so small objects' edges are only
        ever upsampled; U-Net's own first level sees the input resolution). Needs ``in_chans``.
        """
        super().__init__()
        self.encoder = encoder
        encoder.features_only()
        channels = list(encoder.channels)
        use_neck = neck == "sfp" or (
            neck == "auto" and encoder.single_scale and decoder != "linear"
        )
        self.neck = SimpleFeaturePyramid(channels[-1]) if use_neck else None
        if self.neck is not None:
            channels = self.neck.out_channels
        self.input_stem: nn.Module | None = None
        if input_skip > 0 and decoder != "linear":
            if in_chans <= 0:
                raise ValueError("input_skip needs the input's channel count (in_chans)")
            self.input_stem = nn.Sequential(
                conv_bn_relu(in_chans, input_skip), conv_bn_relu(input_skip, input_skip)
            )
            channels = [input_skip, *channels]
        self.decoder = build_decoder(decoder, channels, num_classes)
        self.decoder_name = decoder

    def forward(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        size = x.shape[-2:]
        x, t = _fold_time(self.encoder, x)
        feats = self.encoder.forward_features(x, meta)
        if t > 1:
            feats = [_unfold_mean(f, t) for f in feats]
        if self.neck is not None:
            feats = self.neck(feats)
        if self.input_stem is not None:
            # time steps folded into the batch are averaged like the encoder's levels; a
            # temporal encoder's (B, T, C, H, W) input is averaged over T
            x_in = x.mean(dim=1) if x.ndim == 5 else x
            feats = [_unfold_mean(self.input_stem(x_in), t), *feats]
        return self.decoder(feats, size)
