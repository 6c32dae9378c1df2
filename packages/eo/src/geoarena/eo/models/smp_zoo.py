"""Registered smp-encoder models (``eo/smp-*``) and the pretrained csmask preset.

Registration runs when the plugin loads, so this module imports no torch: the builders import
:mod:`geoarena.eo.models.smp_encoders` when a model is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoarena.core.honoured import ALL_TRAIN_KEYS
from geoarena.core.registry import MODELS
from geoarena.core.samples import SampleSource, declare_sample

if TYPE_CHECKING:
    from geoarena.eo.models.adapter import EOTorchAdapter

CSMASK = declare_sample(
    SampleSource(
        "ukis-csmask-1.0.0",
        "pypi-wheel",
        "ukis-csmask",
        "1.0.0",
        "ukis_csmask-1.0.0-py3-none-any.whl",
        "898d6efe59b3908ec92aabad3f61a56394ff81d997a2ebe5675732503a18d1f1",
        "Apache-2.0 (ukis-csmask, German Aerospace Center DLR)",
        "ONNX U-Nets (smp, EfficientNet-B4 encoder) for cloud / cloud-shadow masks of "
        "Sentinel-2 and Landsat, 4 or 6 bands",
        on_demand=True,
    )
)
#: the checkpoint of the preset: 4 bands, L1C (top-of-atmosphere) reflectance
CSMASK_MODEL = "model_4b_l1c"


def smp_adapter(name: str, encoder_name: str, **model_kwargs: Any) -> EOTorchAdapter:
    """The adapter for smp encoder ``encoder_name`` under registry name ``name``;
    ``model_kwargs.arch.output_stride`` dilates it."""
    from geoarena.eo.models.adapter import EOModelConfig, EOTorchAdapter
    from geoarena.eo.models.smp_encoders import SmpEncoder
    from geoarena.eo.models.zoo import IMAGENET_MEAN, IMAGENET_STD

    base = EOModelConfig.from_kwargs(
        EOModelConfig(decoder="unet"),
        {"weights_mean": IMAGENET_MEAN, "weights_std": IMAGENET_STD},
    )
    config = EOModelConfig.from_kwargs(base, model_kwargs)

    def factory(
        in_chans: int, img_size: int | None, bands: tuple[str, ...], arch: dict[str, Any]
    ) -> Any:
        return SmpEncoder(encoder_name, in_chans, **arch)

    return EOTorchAdapter(name, encoder_name, factory, config)


def csmask_kwargs(cache_dir: str | Path | None = None) -> dict[str, Any]:
    """``model_kwargs`` of the csmask preset: the ONNX file inside the fetched wheel, the bands
    and normalisation its card (the JSON beside it) declares."""
    from geoarena.core.samples import sample_path
    from geoarena.eo.models.smp_encoders import checkpoint_card_kwargs

    folder = Path(sample_path(CSMASK.name, cache_dir)) / "ukis_csmask"
    return checkpoint_card_kwargs(folder / f"{CSMASK_MODEL}.onnx", folder / f"{CSMASK_MODEL}.json")


#: registry name → smp encoder
SMP_MODELS = {"eo/smp-efficientnet-b4": "efficientnet-b4"}
_META = dict(
    kinds=("cls", "multilabel", "seg", "regression"),
    protocols=("finetune", "linear_probe", "frozen", "partial2"),
    train_keys=ALL_TRAIN_KEYS,
    family="smp",
)


@MODELS.register("eo/smp-efficientnet-b4", backbone="efficientnet-b4", **_META)
def smp_efficientnet_b4(**model_kwargs: Any) -> EOTorchAdapter:
    """smp EfficientNet-B4 encoder, U-Net decoder (random init; ``weights``: a local smp
    checkpoint or ONNX export)."""
    return smp_adapter("eo/smp-efficientnet-b4", "efficientnet-b4", **model_kwargs)


@MODELS.register("eo/smp-efficientnet-b4-csmask", backbone="efficientnet-b4", **_META)
def smp_efficientnet_b4_csmask(**model_kwargs: Any) -> EOTorchAdapter:
    """EfficientNet-B4 encoder pretrained by ukis-csmask (Sentinel-2 clouds, ImageNet-initialised),
    U-Net decoder; its weights come from the pinned registry sample unless ``weights`` names
    another local file."""
    preset = {} if model_kwargs.get("weights") else csmask_kwargs()
    return smp_adapter("eo/smp-efficientnet-b4-csmask", "efficientnet-b4", **preset, **model_kwargs)
