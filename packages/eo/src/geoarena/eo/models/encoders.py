"""Encoders: one surface over timm CNNs/ViTs and our own ViT families.

An ``Encoder`` maps ``(B, C, H, W)`` (or ``(B, T, C, H, W)`` for temporal encoders) to a list of
feature maps (finest first) for segmentation and to a pooled vector for classification, and
names its sequential blocks (for the ``partial`` protocol) and its LoRA target layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from geoarena.core.errors import ConfigError


class Encoder(nn.Module):
    """Base class. Subclasses set ``channels`` (per feature level), ``reductions`` and
    ``embed_dim`` (pooled width), and implement ``forward_features`` / ``forward_pooled``."""

    channels: list[int]
    reductions: list[int]
    embed_dim: int
    #: True when every level has the same stride (plain ViT): seg decoders then need a neck.
    single_scale: bool = False
    #: True when the encoder consumes ``(B, T, C, H, W)`` itself.
    temporal: bool = False
    #: module-name suffixes LoRA adapts (peft ``target_modules``).
    lora_targets: tuple[str, ...] = ()

    def forward_features(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> list[torch.Tensor]:
        raise NotImplementedError

    def forward_pooled(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        raise NotImplementedError

    def stages(self) -> list[nn.Module]:
        """Sequential blocks, input to output (what ``partial`` last-N unfreezes)."""
        raise NotImplementedError

    def features_only(self) -> None:
        """Drop layers the feature path never uses (classifier norms/heads) so that every
        trainable parameter of a segmentation model receives a gradient. Default: nothing."""

    def load_pretrained(
        self, path: str | Path, card_bands: Sequence[str], data_bands: Sequence[str]
    ) -> dict[str, list[str]]:
        """Load local weights and adapt them to ``data_bands``; returns missing/unexpected keys."""
        raise ConfigError(
            f"{type(self).__name__} has no pretrained-weights loader; train it from random init"
        )


def _family(model_name: str) -> str:
    for fam in ("resnet", "convnext", "vit", "swin"):
        if model_name.startswith(fam):
            return fam
    return "other"


_LORA_TARGETS = {
    "vit": ("qkv", "proj", "fc1", "fc2"),
    "swin": ("qkv", "proj", "fc1", "fc2"),
    "convnext": ("fc1", "fc2"),
    "resnet": ("conv1", "conv2"),
}


class TimmEncoder(Encoder):
    """A timm model used through ``forward_intermediates`` (features) and ``forward_head``
    with ``pre_logits`` (pooled vector).

    Args:
        model_name: timm architecture (``resnet18``, ``convnext_atto``, ``vit_tiny_patch16_224``…).
        in_chans: number of input bands.
        img_size: input size for ViT/Swin (position embeddings, windows).
        arch_kwargs: extra timm keyword arguments (e.g. ``depths``, ``embed_dim`` for tiny
            configs in tests).
        n_levels: feature levels returned for segmentation (the last ``n_levels`` of timm's).
    """

    def __init__(
        self,
        model_name: str,
        in_chans: int,
        img_size: int | None = None,
        arch_kwargs: dict[str, Any] | None = None,
        n_levels: int = 4,
    ):
        super().__init__()
        import timm

        kwargs = dict(arch_kwargs or {})
        self.family = _family(model_name)
        if self.family == "vit":
            kwargs.setdefault("dynamic_img_size", True)
        if self.family in ("vit", "swin") and img_size:
            kwargs.setdefault("img_size", img_size)
        if self.family == "swin" and img_size:
            # windows must tile the token grid at every stage; 224-pretrained windows of 7 do
            # not tile small chips, so pick the largest window that does.
            kwargs.setdefault(
                "window_size",
                _swin_window(
                    img_size, kwargs.get("patch_size", 4), len(kwargs.get("depths", (2, 2, 6, 2)))
                ),
            )
        self.model_name = model_name
        self.model = timm.create_model(
            model_name, pretrained=False, num_classes=0, in_chans=in_chans, **kwargs
        )
        info = self.model.feature_info
        n_all = len(info)
        n_levels = min(n_levels, n_all)
        self.indices = list(range(n_all - n_levels, n_all))
        self.channels = [info[i]["num_chs"] for i in self.indices]
        self.reductions = [info[i]["reduction"] for i in self.indices]
        self.embed_dim = self.model.num_features
        self.single_scale = len(set(self.reductions)) == 1
        self.lora_targets = _LORA_TARGETS.get(self.family, ())
        self.first_conv = self.model.pretrained_cfg.get("first_conv", "")

    def forward_features(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> list[torch.Tensor]:
        feats = self.model.forward_intermediates(x, indices=self.indices, intermediates_only=True)
        return [
            f.permute(0, 3, 1, 2).contiguous() if f.shape[1] != c and f.shape[-1] == c else f
            for f, c in zip(feats, self.channels)
        ]

    def forward_pooled(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        return self.model.forward_head(self.model.forward_features(x), pre_logits=True)

    def features_only(self) -> None:
        # timm removes blocks after the last index, the final norm and the pooling head
        self.model.prune_intermediate_layers(self.indices, prune_norm=True, prune_head=True)

    def stages(self) -> list[nn.Module]:
        m = self.model
        if self.family == "resnet":
            return [m.layer1, m.layer2, m.layer3, m.layer4]
        for attr in ("blocks", "stages", "layers"):
            seq = getattr(m, attr, None)
            if seq is not None:
                return list(seq)
        raise ConfigError(f"{self.model_name}: no sequential blocks known for the partial protocol")

    def load_pretrained(
        self, path: str | Path, card_bands: Sequence[str], data_bands: Sequence[str]
    ) -> dict[str, list[str]]:
        """Load a local timm checkpoint trained on ``card_bands`` and adapt its first layer to
        ``data_bands`` by band name. Returns the missing/unexpected keys (classifier keys excluded)."""
        from geoarena.eo.models.adaptation import adapt_input_weight, map_bands
        from geoarena.eo.models.checkpoints import load_state_dict

        state = load_state_dict(path)
        key = f"{self.first_conv}.weight"
        if key not in state:
            raise ConfigError(
                f"{path}: checkpoint has no first-layer weight {key!r} for {self.model_name}"
            )
        mapping = map_bands(tuple(data_bands), tuple(card_bands))
        state[key] = adapt_input_weight(state[key], mapping)
        head = {k for k in state if k.split(".")[0] in ("fc", "head", "classifier")}
        for k in head:
            state.pop(k)
        result = self.model.load_state_dict(state, strict=False)
        missing = [
            k for k in result.missing_keys if k.split(".")[0] not in ("fc", "head", "classifier")
        ]
        return {
            "missing": missing,
            "unexpected": list(result.unexpected_keys),
            "band_mapping": [mapping.describe()],
        }


def _swin_window(img_size: int, patch: int, n_stages: int) -> int:
    grid = img_size // patch
    smallest = max(grid // 2 ** (n_stages - 1), 1)
    return next(w for w in (7, 8, 4, 2, 1) if smallest % w == 0)
