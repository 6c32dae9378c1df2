"""A wavelength-conditioned ViT (DOFA / Clay style): one backbone for any band set.

The patch embedding has no per-band weights. A small hypernetwork turns each band's central
wavelength (sin-cos features of λ in nm) into that band's ``D×p×p`` kernel slice and a bias
share, so a model trained on Sentinel-2 runs on Landsat or NAIP bands unchanged — the bands are
described, not counted. Clay-style metadata is added to the tokens: ground sample distance
(sin-cos of log₂ GSD), acquisition date (year, day of year) and location (lat, lon).

Wavelengths come from the data's band names (``geoarena.eo.bands``) when the encoder is
built; a batch may override them with ``meta["wavelengths"]`` (µm, one per channel).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.eo.bands import resolve_bands
from geoarena.eo.models.pos_embed import (
    LocationEncoding,
    TemporalEncoding,
    on_device_of,
    sincos_1d,
    sincos_2d,
)
from geoarena.eo.models.token_vit import TokenViTEncoder


class WavelengthPatchEmbed(nn.Module):
    """Patch embedding whose per-band kernels are generated from wavelengths.

    ``weight_gen``: sin-cos(λ) → hidden → ``D·p·p`` kernel slice; ``bias_gen``: → ``D``, averaged
    over bands. The generated kernel is scaled by ``1/√C`` so the token scale does not grow with
    the number of bands.
    """

    def __init__(self, embed_dim: int, patch_size: int, wave_dim: int = 64, hidden: int = 128):
        super().__init__()
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.wave_dim = wave_dim
        self.weight_gen = nn.Sequential(
            nn.Linear(wave_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, embed_dim * patch_size * patch_size),
        )
        self.bias_gen = nn.Sequential(
            nn.Linear(wave_dim, hidden), nn.GELU(), nn.Linear(hidden, embed_dim)
        )

    def wave_features(self, wavelengths_um: torch.Tensor) -> torch.Tensor:
        if not torch.isfinite(wavelengths_um).all():
            raise ConfigError(
                "the wavelength-conditioned embedding needs a wavelength for every band (DEM/CHM channels have none)"
            )
        # nanometres spread the optical range over many periods of the sin-cos features
        return sincos_1d(self.wave_dim, wavelengths_um.float() * 1000.0)

    def kernel(self, wavelengths_um: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.wave_features(wavelengths_um)
        c = feats.shape[0]
        w = self.weight_gen(feats).reshape(c, self.embed_dim, self.patch_size, self.patch_size)
        w = w.transpose(0, 1) / math.sqrt(c)
        b = self.bias_gen(feats).mean(0)
        return w, b

    def forward(self, x: torch.Tensor, wavelengths_um: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != wavelengths_um.numel():
            raise ConfigError(
                f"input has {x.shape[1]} bands but {wavelengths_um.numel()} wavelengths were given"
            )
        w, b = self.kernel(on_device_of(wavelengths_um, x))
        return F.conv2d(x, w, b, stride=self.patch_size)  # (B, D, h, w)


class WavelengthViTEncoder(TokenViTEncoder):
    """ViT over wavelength-conditioned patch tokens + 2-D sin-cos positions + metadata.

    Time series ``(B, T, C, H, W)`` become ``T`` groups of tokens, each with its date encoding.
    """

    temporal = True

    def __init__(
        self,
        band_names: Sequence[str],
        embed_dim: int = 192,
        depth: int = 6,
        num_heads: int = 3,
        patch_size: int = 8,
        gsd: float = 10.0,
    ):
        super().__init__(embed_dim, depth, num_heads, patch_size)
        bands = resolve_bands(list(band_names))
        self.register_buffer(
            "wavelengths",
            torch.tensor([b.wavelength_um for b in bands], dtype=torch.float32),
            persistent=False,
        )
        self.patch_embed = WavelengthPatchEmbed(embed_dim, patch_size)
        self.temporal_embed = TemporalEncoding(embed_dim, learn_scale=True)
        self.location_embed = LocationEncoding(embed_dim, learn_scale=True)
        self.gsd_proj = nn.Linear(embed_dim, embed_dim)
        self.gsd = gsd

    def tokenize(
        self, x: torch.Tensor, meta: dict[str, Any] | None
    ) -> tuple[torch.Tensor, tuple[int, int, int]]:
        meta = meta or {}
        waves = meta.get("wavelengths")
        waves = (
            self.wavelengths
            if waves is None
            else torch.as_tensor(waves, dtype=torch.float32).reshape(-1)
        )
        frames = x.unbind(1) if x.ndim == 5 else (x,)
        b = x.shape[0]
        groups = []
        for fr in frames:
            emb = self.patch_embed(fr, waves)
            gh, gw = emb.shape[-2:]
            groups.append(emb.flatten(2).transpose(1, 2))
        tokens = torch.stack(groups, 1)  # (B, T, h·w, D)
        tokens = (
            tokens + sincos_2d(self.embed_dim, gh, gw, like=tokens).to(tokens.dtype)[None, None]
        )
        gsd = meta.get("gsd")
        gsd_val = (
            x.new_full((b,), float(self.gsd), dtype=torch.float32)
            if gsd is None
            else on_device_of(torch.as_tensor(gsd, dtype=torch.float32).reshape(-1), x).expand(b)
        )
        gsd_code = self.gsd_proj(sincos_1d(self.embed_dim, torch.log2(gsd_val)))
        tokens = tokens + gsd_code.to(tokens.dtype)[:, None, None]
        if meta.get("temporal_coords") is not None:
            tokens = tokens + self.temporal_embed(meta["temporal_coords"])[:, :, None]
        if meta.get("location_coords") is not None:
            tokens = tokens + self.location_embed(meta["location_coords"])[:, :, None]
        return tokens.flatten(1, 2), (len(frames), gh, gw)

    def load_pretrained(
        self, path: str | Path, card_bands: Sequence[str], data_bands: Sequence[str]
    ) -> dict[str, list[str]]:
        """Load a checkpoint of this encoder; no band adaptation is needed (kernels come from
        wavelengths), so any ``data_bands`` work."""
        from geoarena.eo.models.checkpoints import load_state_dict

        state = load_state_dict(path)
        state = {k.removeprefix("encoder."): v for k, v in state.items()}
        result = self.load_state_dict(state, strict=False)
        return {
            "missing": list(result.missing_keys),
            "unexpected": list(result.unexpected_keys),
            "band_mapping": [f"wavelength-conditioned: {', '.join(data_bands)}"],
        }
