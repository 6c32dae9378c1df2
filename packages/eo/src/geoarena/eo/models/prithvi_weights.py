"""Loading a published Prithvi-EO-2.0 checkpoint into our modules: wrapper prefixes mapped, the
patch embedding adapted from the checkpoint's bands to the data's by name, and a report of
what matched (``LoadReport``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from geoarena.core.errors import ConfigError


@dataclass
class LoadReport:
    """Outcome of loading a published checkpoint: keys the model lacked in the file
    (``missing``), keys the file had that the model does not use (``unexpected``), keys
    deliberately skipped (``ignored``: MAE decoder when fine-tuning; fixed position buffers of
    another grid) and how bands were mapped."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    band_mapping: list[str] = field(default_factory=list)


#: wrappers seen around Prithvi weights (Lightning / terratorch task checkpoints).
_WRAPPER_PREFIXES = ("model.encoder.", "model.", "backbone.", "module.")


def load_prithvi_weights(
    module: nn.Module,
    state: dict[str, torch.Tensor],
    card_bands: Sequence[str],
    data_bands: Sequence[str],
    prefix: str = "encoder.",
) -> LoadReport:
    """Load a published-layout state dict into ``module`` (a ``PrithviViT`` with ``prefix=
    "encoder."`` or a ``PrithviMAE`` with ``prefix=""``).

    Keys under other top-level parts (``decoder.`` when loading an encoder) are reported as
    ignored; the patch embedding is adapted from ``card_bands`` to ``data_bands`` by name;
    fixed sin-cos buffers of another token grid are recomputed rather than loaded.
    """
    from geoarena.eo.models.adaptation import adapt_input_weight, map_bands

    report = LoadReport()
    state = dict(state)
    for wrap in _WRAPPER_PREFIXES:
        if state and all(k.startswith(wrap) for k in state):
            state = {k[len(wrap) :]: v for k, v in state.items()}
    if prefix and not any(k.startswith(prefix) for k in state):
        prefix = ""  # a bare encoder state dict (no "encoder." prefix)
    own = module.state_dict()
    mapped: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if prefix and not key.startswith(prefix):
            report.ignored.append(key)
            continue
        name = key[len(prefix) :]
        if name not in own:
            report.unexpected.append(key)
            continue
        mapped[name] = value
    patch_key = next((k for k in mapped if k.endswith("patch_embed.proj.weight")), None)
    if patch_key is not None:
        mapping = map_bands(tuple(data_bands), tuple(card_bands))
        mapped[patch_key] = adapt_input_weight(mapped[patch_key], mapping)
        report.band_mapping.append(mapping.describe())
    recomputed = set()
    for name in list(mapped):
        if name.endswith("pos_embed") and mapped[name].shape != own[name].shape:
            report.ignored.append(prefix + name + " (recomputed for this input grid)")
            recomputed.add(name)
            mapped.pop(name)
            continue
        if mapped[name].shape != own[name].shape:
            raise ConfigError(
                f"checkpoint tensor {prefix + name} has shape {tuple(mapped[name].shape)}, model expects {tuple(own[name].shape)}: wrong Prithvi size/config?"
            )
    result = module.load_state_dict(mapped, strict=False)
    report.missing = [prefix + k for k in result.missing_keys if k not in recomputed]
    return report
