"""Prithvi-EO-2.0 in our own code: a ViT masked autoencoder with a 3-D patch embedding over
``(B, C, T, H, W)``, 3-D sin-cos position embedding, and optional temporal (year, day of year)
and location (lat, lon) encodings added to the tokens with a weight ("TL" models).

Module names follow the published checkpoints (the reference implementation's
``encoder.patch_embed.proj``, ``encoder.blocks.N.attn.qkv``, ``encoder.norm``,
``encoder.temporal_embed_enc.scale``, ``decoder.decoder_blocks.N…``, ``decoder.decoder_pred``),
so a published state dict loads key for key; ``load_prithvi_weights`` maps prefixes, adapts
the patch embedding to the data's bands by name, recomputes fixed position buffers for other
input sizes and reports missing/unexpected keys.

Our datamodules deliver time series as ``(B, T, C, H, W)``; the encoder permutes to the
``(B, C, T, H, W)`` layout of the 3-D convolution itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from timm.models.vision_transformer import Block
from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.eo.bands import HLS_BANDS
from geoarena.eo.models.encoders import Encoder
from geoarena.eo.models.pos_embed import LocationEncoding, TemporalEncoding, sincos_3d


@dataclass(frozen=True)
class PrithviConfig:
    """Architecture of one Prithvi-EO-2.0 size (published values for 100M/300M/600M)."""

    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    patch_size: tuple[int, int, int] = (1, 16, 16)
    img_size: int = 224
    num_frames: int = 4
    in_chans: int = 6
    decoder_embed_dim: int = 512
    decoder_depth: int = 8
    decoder_num_heads: int = 16
    mlp_ratio: float = 4.0
    coords_encoding: tuple[str, ...] = ()
    coords_scale_learn: bool = False
    mask_ratio: float = 0.75
    #: HLS band order and statistics of the published weights (reflectance × 10000).
    bands: tuple[str, ...] = HLS_BANDS
    mean: tuple[float, ...] = (1087.0, 1342.0, 1433.0, 2734.0, 1958.0, 1363.0)
    std: tuple[float, ...] = (2248.0, 2179.0, 2178.0, 1850.0, 1242.0, 1049.0)
    input_unit: str = "reflectance_x10000"
    extra: dict[str, Any] = field(default_factory=dict)


PRITHVI_CONFIGS: dict[str, PrithviConfig] = {
    # CPU-sized for tests and laptop runs; same module layout as the published sizes.
    "tiny": PrithviConfig(
        embed_dim=64,
        depth=4,
        num_heads=4,
        patch_size=(1, 8, 8),
        img_size=32,
        num_frames=1,
        decoder_embed_dim=32,
        decoder_depth=1,
        decoder_num_heads=4,
    ),
    "100M": PrithviConfig(embed_dim=768, depth=12, num_heads=12),
    "300M": PrithviConfig(embed_dim=1024, depth=24, num_heads=16),
    "300M-TL": PrithviConfig(
        embed_dim=1024,
        depth=24,
        num_heads=16,
        coords_encoding=("time", "location"),
        coords_scale_learn=True,
    ),
    "600M": PrithviConfig(embed_dim=1280, depth=32, num_heads=16, patch_size=(1, 14, 14)),
    "600M-TL": PrithviConfig(
        embed_dim=1280,
        depth=32,
        num_heads=16,
        patch_size=(1, 14, 14),
        coords_encoding=("time", "location"),
        coords_scale_learn=True,
    ),
}


class PatchEmbed3D(nn.Module):
    """Non-overlapping ``(t, p, p)`` cubes → tokens with one ``Conv3d``."""

    def __init__(self, patch_size: tuple[int, int, int], in_chans: int, embed_dim: int):
        super().__init__()
        self.patch_size = tuple(patch_size)
        self.proj = nn.Conv3d(
            in_chans, embed_dim, kernel_size=self.patch_size, stride=self.patch_size
        )

    def grid(self, t: int, h: int, w: int) -> tuple[int, int, int]:
        pt, ph, pw = self.patch_size
        return t // pt, h // ph, w // pw

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # (B, C, T, H, W) → (B, L, D)


def _grid_pos(dim: int, grid: tuple[int, int, int], cached: torch.Tensor) -> torch.Tensor:
    n = grid[0] * grid[1] * grid[2]
    if cached.shape[1] == n + 1 and cached.abs().sum() > 0:
        return cached
    return sincos_3d(dim, grid, cls_token=True, like=cached).unsqueeze(0).to(cached.dtype)


class PrithviViT(nn.Module):
    """The Prithvi encoder. ``forward_tokens`` returns the hidden states after each block."""

    def __init__(
        self,
        cfg: PrithviConfig,
        in_chans: int | None = None,
        num_frames: int | None = None,
        img_size: int | None = None,
    ):
        super().__init__()
        self.cfg = cfg
        self.in_chans = in_chans or cfg.in_chans
        self.num_frames = num_frames or cfg.num_frames
        self.img_size = img_size or cfg.img_size
        d = cfg.embed_dim
        self.embed_dim = d
        self.patch_embed = PatchEmbed3D(cfg.patch_size, self.in_chans, d)
        self.grid = self.patch_embed.grid(self.num_frames, self.img_size, self.img_size)
        self.temporal_encoding = "time" in cfg.coords_encoding
        self.location_encoding = "location" in cfg.coords_encoding
        if self.temporal_encoding:
            if cfg.patch_size[0] != 1:
                raise ConfigError("temporal encoding needs a temporal patch size of 1")
            self.temporal_embed_enc = TemporalEncoding(d, cfg.coords_scale_learn)
        if self.location_encoding:
            self.location_embed_enc = LocationEncoding(d, cfg.coords_scale_learn)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.register_buffer("pos_embed", sincos_3d(d, self.grid, cls_token=True).unsqueeze(0))
        self.blocks = nn.ModuleList(
            Block(d, cfg.num_heads, cfg.mlp_ratio, qkv_bias=True, norm_layer=nn.LayerNorm)
            for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(d)
        self._init_weights()

    def _init_weights(self) -> None:
        w = self.patch_embed.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))  # like a linear layer (MAE practice)
        nn.init.normal_(self.cls_token, std=0.02)
        for m in self.blocks.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def embed(
        self,
        x: torch.Tensor,
        temporal_coords: torch.Tensor | None = None,
        location_coords: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int, int]]:
        """Patch tokens with position/time/location added (no cls token yet); also returns the
        cls position embedding and the token grid."""
        if x.ndim == 4:
            x = x.unsqueeze(2)
        t, h, w = x.shape[-3:]
        grid = self.patch_embed.grid(t, h, w)
        tokens = self.patch_embed(x)
        pos = _grid_pos(self.embed_dim, grid, self.pos_embed)
        tokens = tokens + pos[:, 1:]
        if self.temporal_encoding and temporal_coords is not None:
            tokens = tokens + self.temporal_embed_enc(temporal_coords, grid[1] * grid[2])
        if self.location_encoding and location_coords is not None:
            tokens = tokens + self.location_embed_enc(location_coords)
        return tokens, pos[:, :1], grid

    def forward_tokens(
        self,
        x: torch.Tensor,
        temporal_coords: torch.Tensor | None = None,
        location_coords: torch.Tensor | None = None,
    ) -> tuple[list[torch.Tensor], tuple[int, int, int]]:
        tokens, cls_pos, grid = self.embed(x, temporal_coords, location_coords)
        cls = (self.cls_token + cls_pos).expand(tokens.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1)
        out = []
        for block in self.blocks:
            h = block(h)
            out.append(h)
        out[-1] = self.norm(h)
        return out, grid

    def forward_masked(
        self,
        x: torch.Tensor,
        mask_ratio: float,
        temporal_coords: torch.Tensor | None = None,
        location_coords: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[int, int, int]]:
        """MAE encoder pass on a random ``1 - mask_ratio`` subset of tokens per sample.

        Returns latent (with cls), mask (1 = removed), ids_restore and the token grid."""
        tokens, cls_pos, grid = self.embed(x, temporal_coords, location_coords)
        b, n, d = tokens.shape
        keep = max(1, int(n * (1 - mask_ratio)))
        noise = torch.rand(b, n, device=tokens.device) if noise is None else noise
        ids_shuffle = noise.argsort(dim=1)
        ids_restore = ids_shuffle.argsort(dim=1)
        kept = torch.gather(tokens, 1, ids_shuffle[:, :keep, None].expand(-1, -1, d))
        mask = torch.ones(b, n, device=tokens.device)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        cls = (self.cls_token + cls_pos).expand(b, -1, -1)
        h = torch.cat([cls, kept], dim=1)
        for block in self.blocks:
            h = block(h)
        return self.norm(h), mask, ids_restore, grid


class PrithviDecoder(nn.Module):
    """The MAE decoder: tokens + mask tokens, unshuffled, through small transformer blocks, to
    pixel values per patch."""

    def __init__(self, cfg: PrithviConfig, in_chans: int, grid: tuple[int, int, int]):
        super().__init__()
        d = cfg.decoder_embed_dim
        self.dim = d
        self.decoder_embed = nn.Linear(cfg.embed_dim, d)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.temporal_encoding = "time" in cfg.coords_encoding
        self.location_encoding = "location" in cfg.coords_encoding
        if self.temporal_encoding:
            self.temporal_embed_dec = TemporalEncoding(d, cfg.coords_scale_learn)
        if self.location_encoding:
            self.location_embed_dec = LocationEncoding(d, cfg.coords_scale_learn)
        self.register_buffer("decoder_pos_embed", sincos_3d(d, grid, cls_token=True).unsqueeze(0))
        self.decoder_blocks = nn.ModuleList(
            Block(d, cfg.decoder_num_heads, cfg.mlp_ratio, qkv_bias=True, norm_layer=nn.LayerNorm)
            for _ in range(cfg.decoder_depth)
        )
        self.decoder_norm = nn.LayerNorm(d)
        pt, ph, pw = cfg.patch_size
        self.decoder_pred = nn.Linear(d, pt * ph * pw * in_chans)
        nn.init.normal_(self.mask_token, std=0.02)

    def forward(
        self,
        latent: torch.Tensor,
        ids_restore: torch.Tensor,
        grid: tuple[int, int, int],
        temporal_coords: torch.Tensor | None = None,
        location_coords: torch.Tensor | None = None,
    ) -> torch.Tensor:
        x = self.decoder_embed(latent)
        cls, x = x[:, :1], x[:, 1:]
        b, n = ids_restore.shape
        x = torch.cat([x, self.mask_token.expand(b, n - x.shape[1], -1)], dim=1)
        x = torch.gather(x, 1, ids_restore[..., None].expand(-1, -1, self.dim))
        pos = _grid_pos(self.dim, grid, self.decoder_pos_embed)
        x = x + pos[:, 1:]
        if self.temporal_encoding and temporal_coords is not None:
            x = x + self.temporal_embed_dec(temporal_coords, grid[1] * grid[2])
        if self.location_encoding and location_coords is not None:
            x = x + self.location_embed_dec(location_coords)
        x = torch.cat([cls + pos[:, :1], x], dim=1)
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]


class PrithviMAE(nn.Module):
    """Encoder + decoder; ``forward`` returns the masked reconstruction loss (MSE on removed
    patches), the prediction and the mask."""

    def __init__(
        self,
        cfg: PrithviConfig,
        in_chans: int | None = None,
        num_frames: int | None = None,
        img_size: int | None = None,
        norm_pix_loss: bool = False,
    ):
        super().__init__()
        self.cfg = cfg
        self.encoder = PrithviViT(cfg, in_chans, num_frames, img_size)
        self.decoder = PrithviDecoder(cfg, self.encoder.in_chans, self.encoder.grid)
        self.norm_pix_loss = norm_pix_loss

    def patchify(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` → ``(B, L, t·p·p·C)`` in the reference layout (channels last)."""
        if x.ndim == 4:
            x = x.unsqueeze(2)
        b, c, t, h, w = x.shape
        pt, ph, pw = self.encoder.patch_embed.patch_size
        x = x.reshape(b, c, t // pt, pt, h // ph, ph, w // pw, pw)
        x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # b, T', H', W', s, p, q, c
        return x.reshape(b, (t // pt) * (h // ph) * (w // pw), pt * ph * pw * c)

    def forward(
        self,
        x: torch.Tensor,
        temporal_coords: torch.Tensor | None = None,
        location_coords: torch.Tensor | None = None,
        mask_ratio: float | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if x.ndim == 4:
            x = x.unsqueeze(2)
        ratio = self.cfg.mask_ratio if mask_ratio is None else mask_ratio
        latent, mask, ids_restore, grid = self.encoder.forward_masked(
            x, ratio, temporal_coords, location_coords
        )
        pred = self.decoder(latent, ids_restore, grid, temporal_coords, location_coords)
        target = self.patchify(x)
        if self.norm_pix_loss:
            target = (target - target.mean(-1, keepdim=True)) / (
                target.var(-1, keepdim=True) + 1e-6
            ).sqrt()
        loss = ((pred - target) ** 2).mean(-1)
        loss = (loss * mask).sum() / mask.sum().clamp_min(1)
        return loss, pred, mask


class PrithviEncoder(Encoder):
    """Prithvi encoder behind the ``Encoder`` surface: 4 block outputs (evenly spaced, last one
    normed) as stride-``p`` maps, averaged over time; pooled = mean of the final patch tokens."""

    temporal = True
    single_scale = True
    lora_targets = ("qkv", "proj", "fc1", "fc2")

    def __init__(
        self,
        cfg: PrithviConfig,
        in_chans: int,
        img_size: int | None = None,
        num_frames: int | None = None,
    ):
        super().__init__()
        self.vit = PrithviViT(cfg, in_chans, num_frames or cfg.num_frames, img_size or cfg.img_size)
        depth = cfg.depth
        self.indices = sorted({max(0, round(depth * f) - 1) for f in (0.25, 0.5, 0.75, 1.0)})
        self.channels = [cfg.embed_dim] * len(self.indices)
        self.reductions = [cfg.patch_size[1]] * len(self.indices)
        self.embed_dim = cfg.embed_dim

    @staticmethod
    def _to_bcthw(x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 2, 1, 3, 4) if x.ndim == 5 else x.unsqueeze(2)

    def _tokens(
        self, x: torch.Tensor, meta: dict[str, Any] | None
    ) -> tuple[list[torch.Tensor], tuple[int, int, int]]:
        meta = meta or {}
        return self.vit.forward_tokens(
            self._to_bcthw(x), meta.get("temporal_coords"), meta.get("location_coords")
        )

    def forward_features(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> list[torch.Tensor]:
        hidden, (t, h, w) = self._tokens(x, meta)
        out = []
        for i in self.indices:
            tok = hidden[i][:, 1:]  # drop cls
            b, _, d = tok.shape
            out.append(tok.reshape(b, t, h, w, d).mean(1).permute(0, 3, 1, 2).contiguous())
        return out

    def forward_pooled(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        hidden, _ = self._tokens(x, meta)
        return hidden[-1][:, 1:].mean(1)

    def stages(self) -> list[nn.Module]:
        return list(self.vit.blocks)

    def load_pretrained(
        self, path: str | Path, card_bands: Sequence[str], data_bands: Sequence[str]
    ) -> dict[str, list[str]]:
        from geoarena.eo.models.checkpoints import load_state_dict
        from geoarena.eo.models.prithvi_weights import load_prithvi_weights

        report = load_prithvi_weights(
            self.vit, load_state_dict(path), card_bands, data_bands, prefix="encoder."
        )
        return dataclasses.asdict(report)
