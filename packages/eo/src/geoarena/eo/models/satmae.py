"""A SatMAE-style encoder: spectral-group tokens and temporal encodings (Cong et al. 2022).

Bands are split into spectral groups; each group has its own patch embedding, and its tokens
get a *spectral* encoding (sin-cos of the group's mean wavelength, so it is defined for any band
set) on top of the 2-D position encoding. Every time step of a series contributes its own
groups with a *temporal* encoding of its date. All tokens go through one transformer.

The default grouping follows SatMAE's Sentinel-2 split by wavelength: visible (< 0.7 µm),
red edge / NIR (0.7–1.0 µm), SWIR (1.0–3.0 µm), and anything else (thermal, SAR).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.eo.bands import resolve_bands
from geoarena.eo.models.pos_embed import TemporalEncoding, sincos_1d, sincos_2d
from geoarena.eo.models.token_vit import TokenViTEncoder

GROUP_EDGES_UM = (0.7, 1.0, 3.0)


def spectral_groups(band_names: Sequence[str]) -> list[list[int]]:
    """Channel indices per non-empty spectral group, by central wavelength."""
    waves = [b.wavelength_um for b in resolve_bands(list(band_names))]
    groups: list[list[int]] = [[] for _ in range(len(GROUP_EDGES_UM) + 1)]
    for i, w in enumerate(waves):
        k = next(
            (j for j, edge in enumerate(GROUP_EDGES_UM) if w == w and w < edge), len(GROUP_EDGES_UM)
        )
        groups[k].append(i)
    return [g for g in groups if g]


class SatMAEEncoder(TokenViTEncoder):
    """Group-wise patch embeddings + spectral + temporal + 2-D position encodings → ViT."""

    temporal = True

    def __init__(
        self,
        band_names: Sequence[str],
        embed_dim: int = 192,
        depth: int = 6,
        num_heads: int = 3,
        patch_size: int = 8,
        groups: Sequence[Sequence[int]] | None = None,
    ):
        super().__init__(embed_dim, depth, num_heads, patch_size)
        self.groups = [list(g) for g in (groups or spectral_groups(band_names))]
        if sorted(i for g in self.groups for i in g) != list(range(len(band_names))):
            raise ConfigError(
                f"spectral groups {self.groups} must cover each of the {len(band_names)} bands once"
            )
        waves = [b.wavelength_um for b in resolve_bands(list(band_names))]
        for g, idx in enumerate(self.groups):
            self.register_buffer(f"group_bands_{g}", torch.tensor(idx), persistent=False)
        self.patch_embed = nn.ModuleList(
            nn.Conv2d(len(g), embed_dim, patch_size, stride=patch_size) for g in self.groups
        )
        group_wave = torch.tensor([sum(waves[i] for i in g) / len(g) for g in self.groups])
        # spectral encoding from the group's mean wavelength (nm); NaN-free for optical groups
        self.register_buffer(
            "spectral_embed",
            sincos_1d(embed_dim, torch.nan_to_num(group_wave, nan=0.0) * 1000.0),
            persistent=False,
        )
        self.temporal_embed = TemporalEncoding(embed_dim)

    def tokenize(
        self, x: torch.Tensor, meta: dict[str, Any] | None
    ) -> tuple[torch.Tensor, tuple[int, int, int]]:
        meta = meta or {}
        frames = x.unbind(1) if x.ndim == 5 else (x,)
        per_frame = []
        for fr in frames:
            toks = []
            for g, embed in enumerate(self.patch_embed):
                # band indices as a buffer: an index list would be a host constant in a trace
                e = embed(fr.index_select(1, getattr(self, f"group_bands_{g}")))
                gh, gw = e.shape[-2:]
                toks.append(e.flatten(2).transpose(1, 2) + self.spectral_embed[g])
            per_frame.append(torch.stack(toks, 1))  # (B, G, h·w, D)
        tokens = torch.stack(per_frame, 1)  # (B, T, G, h·w, D)
        tokens = tokens + sincos_2d(self.embed_dim, gh, gw, like=tokens).to(tokens.dtype)
        if meta.get("temporal_coords") is not None:
            tokens = tokens + self.temporal_embed(meta["temporal_coords"])[:, :, None, None]
        b, t, g = tokens.shape[:3]
        return tokens.reshape(b, t * g * gh * gw, -1), (t * g, gh, gw)

    def load_pretrained(
        self, path: str | Path, card_bands: Sequence[str], data_bands: Sequence[str]
    ) -> dict[str, list[str]]:
        """Load a checkpoint of this encoder trained on the same band grouping."""
        from geoarena.eo.models.checkpoints import load_state_dict

        if tuple(card_bands) != tuple(data_bands):
            raise ConfigError(
                f"SatMAE-style weights are tied to their band groups ({', '.join(card_bands)}); the data has {', '.join(data_bands)}"
            )
        state = {k.removeprefix("encoder."): v for k, v in load_state_dict(path).items()}
        result = self.load_state_dict(state, strict=False)
        return {
            "missing": list(result.missing_keys),
            "unexpected": list(result.unexpected_keys),
            "band_mapping": [],
        }
