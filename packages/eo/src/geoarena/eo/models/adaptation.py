"""Band adaptation of pretrained input layers, by band *name*.

A checkpoint's first layer (a conv stem or a patch embedding) has one input filter slice per
band the weights were trained on (the model card's ``bands``). The data's ``band_names``
decide the new layer: a band the weights know keeps its filter slice; a band they do not know
starts from the mean of the known slices, scaled by ``len(card bands) / len(data bands)`` so
that the new bands add roughly one band's worth of activation in total instead of swamping the
pretrained response. A band name that is not a recognised band raises ``ConfigError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from geoarena.core.errors import ConfigError
from geoarena.eo.bands import resolve_bands, same_band


@dataclass(frozen=True)
class BandMapping:
    """For each data band, the index of the card band it copies (``None``: initialised as mean)."""

    data_bands: tuple[str, ...]
    card_bands: tuple[str, ...]
    source: tuple[int | None, ...]

    @property
    def matched(self) -> int:
        return sum(s is not None for s in self.source)

    def describe(self) -> str:
        parts = [
            f"{d}<-{self.card_bands[s]}" if s is not None else f"{d}<-mean"
            for d, s in zip(self.data_bands, self.source)
        ]
        return ", ".join(parts)


def map_bands(
    data_bands: tuple[str, ...] | list[str], card_bands: tuple[str, ...] | list[str]
) -> BandMapping:
    """Match every data band to a card band of the same physical band (or to none)."""
    data_resolved = resolve_bands(list(data_bands))
    card_resolved = resolve_bands(list(card_bands))
    source: list[int | None] = []
    for band in data_resolved:
        exact = [i for i, c in enumerate(card_resolved) if c.key == band.key]
        similar = [i for i, c in enumerate(card_resolved) if same_band(c, band)]
        source.append((exact or similar or [None])[0])
    return BandMapping(tuple(map(str, data_bands)), tuple(map(str, card_bands)), tuple(source))


def adapt_input_weight(weight: torch.Tensor, mapping: BandMapping) -> torch.Tensor:
    """New input weight (band axis 1) for the data bands of ``mapping``.

    Works for conv stems ``(O, C, k, k)``, 3-D patch embeddings ``(O, C, t, p, p)`` and linear
    patch projections ``(O, C)``.
    """
    if weight.shape[1] != len(mapping.card_bands):
        raise ConfigError(
            f"checkpoint input layer has {weight.shape[1]} bands but the model card lists "
            f"{len(mapping.card_bands)} ({', '.join(mapping.card_bands)})"
        )
    # Mean over the bands the checkpoint knows (all card bands: for ImageNet weights, R, G, B).
    mean = weight.mean(dim=1)
    scale = len(mapping.card_bands) / max(len(mapping.data_bands), 1)
    slices = [weight[:, s] if s is not None else mean * scale for s in mapping.source]
    return torch.stack(slices, dim=1).contiguous()
