"""Registered EO models (``eo/<name>``): timm backbones with band adaptation by name.

Every entry is random-init by default and CPU-sized; ``model_kwargs={"weights": "<local
checkpoint>"}`` loads pretrained weights from disk (never from a hub) and adapts the input
layer from the checkpoint's bands (``weights_bands``, RGB for ImageNet weights) to the data's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from geoarena.core.registry import MODELS
from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
from geoarena.eo.models.encoders import TimmEncoder
from geoarena.eo.models.prithvi import PRITHVI_CONFIGS, PrithviEncoder
from geoarena.eo.models.satmae import SatMAEEncoder
from geoarena.eo.models.wavelength_vit import WavelengthViTEncoder

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


#: registry name → Prithvi-EO-2.0 size (``PRITHVI_CONFIGS``)
PRITHVI_MODELS: dict[str, str] = {
    "eo/prithvi-tiny": "tiny",
    "eo/prithvi-eo2-100m": "100M",
    "eo/prithvi-eo2-300m": "300M",
    "eo/prithvi-eo2-300m-tl": "300M-TL",
    "eo/prithvi-eo2-600m": "600M",
    "eo/prithvi-eo2-600m-tl": "600M-TL",
}


def prithvi_adapter(name: str, **model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 of size ``PRITHVI_MODELS[name]``; ``weights`` loads a published checkpoint
    (HLS bands, reflectance × 10000) and adapts its patch embedding to the data's bands."""
    size = PRITHVI_MODELS[name]
    cfg = PRITHVI_CONFIGS[size]
    base = EOModelConfig(
        decoder="upernet",
        weights_bands=cfg.bands,
        weights_unit=cfg.input_unit,
        weights_mean=cfg.mean,
        weights_std=cfg.std,
    )
    config = EOModelConfig.from_kwargs(base, model_kwargs)

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> PrithviEncoder:
        arch_cfg = dataclasses.replace(cfg, **arch) if arch else cfg
        return PrithviEncoder(arch_cfg, in_chans=in_chans, img_size=img_size)

    return EOTorchAdapter(name, f"prithvi_eo_v2_{size.lower()}", factory, config)


def register_prithvi_models() -> None:
    for name in PRITHVI_MODELS:
        MODELS.add(
            name,
            _named(name, prithvi_adapter),
            kinds=("cls", "multilabel", "seg"),
            family="prithvi",
            backbone=PRITHVI_MODELS[name],
        )


def _named(name: str, builder):
    def make(**model_kwargs: Any) -> EOTorchAdapter:
        return builder(name, **model_kwargs)

    make.__name__ = f"make_{name.split('/')[-1].replace('-', '_')}"
    make.__doc__ = (builder.__doc__ or "").split("\n")[0]
    return make


#: small, CPU-sized token ViTs (random init by default; ``arch`` overrides size)
TOKEN_VIT_ARCH = {"embed_dim": 192, "depth": 6, "num_heads": 3, "patch_size": 8}


def wavelength_vit_adapter(name: str = "eo/wavelength-vit", **model_kwargs: Any) -> EOTorchAdapter:
    """Wavelength-conditioned ViT (DOFA/Clay style): takes any band set without adaptation."""
    config = EOModelConfig.from_kwargs(
        EOModelConfig(decoder="upernet", weights_bands=()), model_kwargs
    )

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> WavelengthViTEncoder:
        return WavelengthViTEncoder(bands, **{**TOKEN_VIT_ARCH, **arch})

    return EOTorchAdapter(name, "wavelength_vit", factory, config)


def satmae_adapter(name: str = "eo/satmae-small", **model_kwargs: Any) -> EOTorchAdapter:
    """SatMAE-style ViT: spectral-group tokens with spectral and temporal encodings."""
    config = EOModelConfig.from_kwargs(
        EOModelConfig(decoder="upernet", weights_bands=()), model_kwargs
    )

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> SatMAEEncoder:
        return SatMAEEncoder(bands, **{**TOKEN_VIT_ARCH, **arch})

    return EOTorchAdapter(name, "satmae_group_vit", factory, config)


def register_token_vits() -> None:
    kinds = ("cls", "multilabel", "seg")
    MODELS.add(
        "eo/wavelength-vit",
        _named("eo/wavelength-vit", wavelength_vit_adapter),
        kinds=kinds,
        family="wavelength",
    )
    MODELS.add(
        "eo/satmae-small", _named("eo/satmae-small", satmae_adapter), kinds=kinds, family="satmae"
    )


def mmseg_unet_adapter(name: str = "eo/mmseg-unet", **model_kwargs: Any) -> EOTorchAdapter:
    """mmsegmentation's UNet backbone with an mmseg FCN head (its classic UNet-FCN pairing)."""
    from geoarena.eo.models.mmseg_adapter import MMSegUNetEncoder

    config = EOModelConfig.from_kwargs(
        EOModelConfig(decoder="mmseg-fcn", weights_bands=()), model_kwargs
    )

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> MMSegUNetEncoder:
        return MMSegUNetEncoder(in_chans, **arch)

    return EOTorchAdapter(name, "mmseg_unet", factory, config, kinds=("seg",))


def register_mmseg_models() -> None:
    MODELS.add(
        "eo/mmseg-unet", _named("eo/mmseg-unet", mmseg_unet_adapter), kinds=("seg",), family="mmseg"
    )
