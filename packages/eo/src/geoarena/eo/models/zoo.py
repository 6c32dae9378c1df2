"""Registered EO models (``eo/<name>``): timm backbones with band adaptation by name.

Every entry is random-init by default and CPU-sized; ``model_kwargs={"weights": "<local
checkpoint>"}`` loads pretrained weights from disk (never from a hub) and adapts the input
layer from the checkpoint's bands (``weights_bands``, RGB for ImageNet weights) to the data's.
"""

from __future__ import annotations

from typing import Any

from geoarena.core.registry import MODELS
from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
from geoarena.eo.models.encoders import TimmEncoder

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: registry name → (timm architecture, default config)
TIMM_MODELS: dict[str, tuple[str, EOModelConfig]] = {
    "eo/resnet18": ("resnet18", EOModelConfig(decoder="unet")),
    "eo/resnet50": ("resnet50", EOModelConfig(decoder="unet")),
    "eo/convnext-atto": ("convnext_atto", EOModelConfig(decoder="unet")),
    "eo/convnext-femto": ("convnext_femto", EOModelConfig(decoder="unet")),
    "eo/vit-tiny": ("vit_tiny_patch16_224", EOModelConfig(decoder="upernet")),
    "eo/vit-small": ("vit_small_patch16_224", EOModelConfig(decoder="upernet")),
    "eo/swin-tiny": ("swin_tiny_patch4_window7_224", EOModelConfig(decoder="upernet")),
}


def timm_adapter(name: str, **model_kwargs: Any) -> EOTorchAdapter:
    """The adapter for registered timm model ``name`` with ``model_kwargs`` overrides."""
    arch, base = TIMM_MODELS[name]
    base = EOModelConfig.from_kwargs(
        base, {"weights_mean": IMAGENET_MEAN, "weights_std": IMAGENET_STD}
    )
    config = EOModelConfig.from_kwargs(base, model_kwargs)

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch_kwargs: dict[str, Any]
    ) -> TimmEncoder:
        return TimmEncoder(arch, in_chans=in_chans, img_size=img_size, arch_kwargs=arch_kwargs)

    return EOTorchAdapter(name, arch, factory, config)


def register_timm_models() -> None:
    for name in TIMM_MODELS:
        MODELS.add(
            name,
            _factory(name),
            kinds=("cls", "multilabel", "seg"),
            family="timm",
            backbone=TIMM_MODELS[name][0],
        )


def _factory(name: str):
    def make(**model_kwargs: Any) -> EOTorchAdapter:
        return timm_adapter(name, **model_kwargs)

    make.__name__ = f"make_{name.split('/')[-1].replace('-', '_')}"
    make.__doc__ = (
        f"{name}: timm {TIMM_MODELS[name][0]} backbone ({', '.join(('cls', 'multilabel', 'seg'))})."
    )
    return make
