"""A plain ViT trunk over a token sequence, shared by the SatMAE-style and the
wavelength-conditioned encoders: they differ only in how pixels become tokens.

Subclasses implement ``tokenize(x, meta) -> (tokens (B, N, D), layout (G, h, w))`` where the
``N = G·h·w`` tokens are ordered group-major (spectral groups or time steps) over an ``h×w``
grid; features for segmentation average the ``G`` axis back into one ``(B, D, h, w)`` map.
"""

from __future__ import annotations

from typing import Any

import torch
from timm.models.vision_transformer import Block
from torch import nn

from geoarena.eo.models.encoders import Encoder


class TokenViTEncoder(Encoder):
    """cls token + transformer blocks + final norm over ``tokenize``'s sequence."""

    single_scale = True
    lora_targets = ("qkv", "proj", "fc1", "fc2")

    def __init__(
        self, embed_dim: int, depth: int, num_heads: int, patch_size: int, mlp_ratio: float = 4.0
    ):
        super().__init__()
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        nn.init.normal_(self.cls_token, std=0.02)
        self.blocks = nn.ModuleList(
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias=True, norm_layer=nn.LayerNorm)
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.indices = sorted({max(0, round(depth * f) - 1) for f in (0.25, 0.5, 0.75, 1.0)})
        self.channels = [embed_dim] * len(self.indices)
        self.reductions = [patch_size] * len(self.indices)

    def tokenize(
        self, x: torch.Tensor, meta: dict[str, Any] | None
    ) -> tuple[torch.Tensor, tuple[int, int, int]]:
        raise NotImplementedError

    def forward_tokens(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> tuple[list[torch.Tensor], tuple[int, int, int]]:
        tokens, layout = self.tokenize(x, meta)
        h = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        out = []
        for block in self.blocks:
            h = block(h)
            out.append(h)
        out[-1] = self.norm(h)
        return out, layout

    def forward_features(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> list[torch.Tensor]:
        hidden, (g, gh, gw) = self.forward_tokens(x, meta)
        maps = []
        for i in self.indices:
            tok = hidden[i][:, 1:]
            maps.append(
                tok.reshape(tok.shape[0], g, gh, gw, -1).mean(1).permute(0, 3, 1, 2).contiguous()
            )
        return maps

    def forward_pooled(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        hidden, _ = self.forward_tokens(x, meta)
        return hidden[-1][:, 1:].mean(1)

    def stages(self) -> list[nn.Module]:
        return list(self.blocks)
