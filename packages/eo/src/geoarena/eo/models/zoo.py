"""Registered EO models (``eo/<name>``): timm backbones with band adaptation by name.

Every entry is random-init by default and CPU-sized; ``model_kwargs={"weights": "<local
checkpoint>"}`` loads pretrained weights from disk (never from a hub) and adapts the input
layer from the checkpoint's bands (``weights_bands``, RGB for ImageNet weights) to the data's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from geoarena.core.honoured import ALL_TRAIN_KEYS
from geoarena.core.registry import MODELS

# Registration runs when the plugin loads (``run_benchmark.py --list``), so this module imports
# no torch/timm at its top: the builders import the model code when a model is made.
if TYPE_CHECKING:
    from geoarena.eo.models.adapter import EOTorchAdapter

#: what every EO backbone here can serve
KINDS = ("cls", "multilabel", "seg", "regression")
#: the protocols the EO adapter applies (freezing, linear head, LoRA, last-n blocks); the EO
#: models read every train key (they drive ``TorchFitLoop``)
PROTOCOLS = ("finetune", "linear_probe", "frozen", "partial2", "lora")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: registry name → (timm architecture, default decoder)
TIMM_MODELS: dict[str, tuple[str, str]] = {
    "eo/resnet18": ("resnet18", "unet"),
    "eo/resnet50": ("resnet50", "unet"),
    "eo/convnext-atto": ("convnext_atto", "unet"),
    "eo/convnext-femto": ("convnext_femto", "unet"),
    "eo/vit-tiny": ("vit_tiny_patch16_224", "upernet"),
    "eo/vit-small": ("vit_small_patch16_224", "upernet"),
    "eo/swin-tiny": ("swin_tiny_patch4_window7_224", "upernet"),
}


def timm_adapter(name: str, **model_kwargs: Any) -> EOTorchAdapter:
    """The adapter for registered timm model ``name`` with ``model_kwargs`` overrides."""
    from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
    from geoarena.eo.models.encoders import TimmEncoder

    arch, decoder = TIMM_MODELS[name]
    base = EOModelConfig.from_kwargs(
        EOModelConfig(decoder=decoder), {"weights_mean": IMAGENET_MEAN, "weights_std": IMAGENET_STD}
    )
    config = EOModelConfig.from_kwargs(base, model_kwargs)

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch_kwargs: dict[str, Any]
    ) -> TimmEncoder:
        return TimmEncoder(arch, in_chans=in_chans, img_size=img_size, arch_kwargs=arch_kwargs)

    return EOTorchAdapter(name, arch, factory, config)


@MODELS.register(
    "eo/resnet18",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/resnet18"][0],
)
def resnet18(**model_kwargs: Any) -> EOTorchAdapter:
    """timm ResNet-18, UNet decoder."""
    return timm_adapter("eo/resnet18", **model_kwargs)


@MODELS.register(
    "eo/resnet50",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/resnet50"][0],
)
def resnet50(**model_kwargs: Any) -> EOTorchAdapter:
    """timm ResNet-50, UNet decoder."""
    return timm_adapter("eo/resnet50", **model_kwargs)


@MODELS.register(
    "eo/convnext-atto",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/convnext-atto"][0],
)
def convnext_atto(**model_kwargs: Any) -> EOTorchAdapter:
    """timm ConvNeXt-atto, UNet decoder."""
    return timm_adapter("eo/convnext-atto", **model_kwargs)


@MODELS.register(
    "eo/convnext-femto",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/convnext-femto"][0],
)
def convnext_femto(**model_kwargs: Any) -> EOTorchAdapter:
    """timm ConvNeXt-femto, UNet decoder."""
    return timm_adapter("eo/convnext-femto", **model_kwargs)


@MODELS.register(
    "eo/vit-tiny",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/vit-tiny"][0],
)
def vit_tiny(**model_kwargs: Any) -> EOTorchAdapter:
    """timm ViT-Tiny/16, UperNet decoder."""
    return timm_adapter("eo/vit-tiny", **model_kwargs)


@MODELS.register(
    "eo/vit-small",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/vit-small"][0],
)
def vit_small(**model_kwargs: Any) -> EOTorchAdapter:
    """timm ViT-Small/16, UperNet decoder."""
    return timm_adapter("eo/vit-small", **model_kwargs)


@MODELS.register(
    "eo/swin-tiny",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="timm",
    backbone=TIMM_MODELS["eo/swin-tiny"][0],
)
def swin_tiny(**model_kwargs: Any) -> EOTorchAdapter:
    """timm Swin-Tiny, UperNet decoder."""
    return timm_adapter("eo/swin-tiny", **model_kwargs)


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
    from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
    from geoarena.eo.models.prithvi import PRITHVI_CONFIGS, PrithviEncoder

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


@MODELS.register(
    "eo/prithvi-tiny",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="prithvi",
    backbone=PRITHVI_MODELS["eo/prithvi-tiny"],
)
def prithvi_tiny(**model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 tiny, UperNet decoder (``weights``: a local checkpoint)."""
    return prithvi_adapter("eo/prithvi-tiny", **model_kwargs)


@MODELS.register(
    "eo/prithvi-eo2-100m",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="prithvi",
    backbone=PRITHVI_MODELS["eo/prithvi-eo2-100m"],
)
def prithvi_eo2_100m(**model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 eo2-100m, UperNet decoder (``weights``: a local checkpoint)."""
    return prithvi_adapter("eo/prithvi-eo2-100m", **model_kwargs)


@MODELS.register(
    "eo/prithvi-eo2-300m",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="prithvi",
    backbone=PRITHVI_MODELS["eo/prithvi-eo2-300m"],
)
def prithvi_eo2_300m(**model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 eo2-300m, UperNet decoder (``weights``: a local checkpoint)."""
    return prithvi_adapter("eo/prithvi-eo2-300m", **model_kwargs)


@MODELS.register(
    "eo/prithvi-eo2-300m-tl",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="prithvi",
    backbone=PRITHVI_MODELS["eo/prithvi-eo2-300m-tl"],
)
def prithvi_eo2_300m_tl(**model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 eo2-300m-tl, UperNet decoder (``weights``: a local checkpoint)."""
    return prithvi_adapter("eo/prithvi-eo2-300m-tl", **model_kwargs)


@MODELS.register(
    "eo/prithvi-eo2-600m",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="prithvi",
    backbone=PRITHVI_MODELS["eo/prithvi-eo2-600m"],
)
def prithvi_eo2_600m(**model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 eo2-600m, UperNet decoder (``weights``: a local checkpoint)."""
    return prithvi_adapter("eo/prithvi-eo2-600m", **model_kwargs)


@MODELS.register(
    "eo/prithvi-eo2-600m-tl",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="prithvi",
    backbone=PRITHVI_MODELS["eo/prithvi-eo2-600m-tl"],
)
def prithvi_eo2_600m_tl(**model_kwargs: Any) -> EOTorchAdapter:
    """Prithvi-EO-2.0 eo2-600m-tl, UperNet decoder (``weights``: a local checkpoint)."""
    return prithvi_adapter("eo/prithvi-eo2-600m-tl", **model_kwargs)


#: small, CPU-sized token ViTs (random init by default; ``arch`` overrides size)
TOKEN_VIT_ARCH = {"embed_dim": 192, "depth": 6, "num_heads": 3, "patch_size": 8}


def wavelength_vit_adapter(name: str = "eo/wavelength-vit", **model_kwargs: Any) -> EOTorchAdapter:
    """Wavelength-conditioned ViT (DOFA/Clay style): takes any band set without adaptation."""
    from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
    from geoarena.eo.models.wavelength_vit import WavelengthViTEncoder

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
    from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
    from geoarena.eo.models.satmae import SatMAEEncoder

    config = EOModelConfig.from_kwargs(
        EOModelConfig(decoder="upernet", weights_bands=()), model_kwargs
    )

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> SatMAEEncoder:
        return SatMAEEncoder(bands, **{**TOKEN_VIT_ARCH, **arch})

    return EOTorchAdapter(name, "satmae_group_vit", factory, config)


@MODELS.register(
    "eo/wavelength-vit",
    kinds=KINDS,
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="wavelength",
)
def wavelength_vit(**model_kwargs: Any) -> EOTorchAdapter:
    """Wavelength-conditioned ViT, UperNet decoder (any band set)."""
    return wavelength_vit_adapter("eo/wavelength-vit", **model_kwargs)


@MODELS.register(
    "eo/satmae-small", kinds=KINDS, protocols=PROTOCOLS, train_keys=ALL_TRAIN_KEYS, family="satmae"
)
def satmae_small(**model_kwargs: Any) -> EOTorchAdapter:
    """SatMAE-style spectral-group ViT, UperNet decoder."""
    return satmae_adapter("eo/satmae-small", **model_kwargs)


def mmseg_unet_adapter(name: str = "eo/mmseg-unet", **model_kwargs: Any) -> EOTorchAdapter:
    """mmsegmentation's UNet backbone with an mmseg FCN head (its classic UNet-FCN pairing)."""
    from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
    from geoarena.eo.models.mmseg_adapter import MMSegUNetEncoder

    config = EOModelConfig.from_kwargs(
        EOModelConfig(decoder="mmseg-fcn", weights_bands=()), model_kwargs
    )

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> MMSegUNetEncoder:
        return MMSegUNetEncoder(in_chans, **arch)

    return EOTorchAdapter(name, "mmseg_unet", factory, config, kinds=("seg",))


@MODELS.register(
    "eo/mmseg-unet",
    kinds=("seg",),
    protocols=PROTOCOLS,
    train_keys=ALL_TRAIN_KEYS,
    family="mmseg",
)
def mmseg_unet(**model_kwargs: Any) -> EOTorchAdapter:
    """mmsegmentation UNet backbone + FCN head."""
    return mmseg_unet_adapter("eo/mmseg-unet", **model_kwargs)
