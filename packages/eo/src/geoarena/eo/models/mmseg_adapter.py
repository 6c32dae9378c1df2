"""mmsegmentation decode heads (and its UNet backbone) as GeoArena decoders/encoders.

mmseg 1.2.2 runs here on ``mmcv-lite`` (no compiled ops): ``mmcv.ops`` asks for the compiled
extension ``mmcv._ext`` at import, so before importing mmseg we register a stand-in module
whose functions raise a clear error if an op that needs compiled code is ever *called*. Heads
built from plain convolutions (FCN, SegFormer, UPerNet, DeepLabV3+, the UNet backbone) never
call one. Loading mmengine Runner checkpoints under ``weights_only=True`` needs their helper
classes allow-listed (``allow_mmengine_checkpoint_classes``) — never a blanket unsafe load.

Decoder names: ``mmseg-fcn``, ``mmseg-segformer``, ``mmseg-uper``, ``mmseg-deeplabv3plus``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from geoarena.core.errors import ConfigError, NotInstalledError
from geoarena.eo.models.encoders import Encoder

_SHIM = "mmcv._ext"


def _compiled_op(name: str):
    def op(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"mmcv op {name!r} needs mmcv's compiled extension; mmcv-lite has none. Use a decode "
            "head built from plain layers (FCN, SegFormer, UPerNet, DeepLabV3+) or build full mmcv"
        )

    return op


def _shim_getattr(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return _compiled_op(name)


def ensure_mmseg() -> Any:
    """Import mmseg (registering the ``mmcv._ext`` stand-in first) and its registries."""
    if _SHIM not in sys.modules:
        try:
            import mmcv
        except ImportError as exc:
            raise NotInstalledError(
                "mmseg decoders need mmcv-lite==2.1.0, mmsegmentation==1.2.2, ftfy"
            ) from exc
        try:
            import mmcv._ext  # noqa: F401  (a full mmcv build has the real extension)
        except ImportError:
            shim = types.ModuleType(_SHIM)
            shim.__getattr__ = _shim_getattr  # type: ignore[attr-defined]  # PEP 562
            sys.modules[_SHIM] = shim
    try:
        import mmseg
        from mmseg.utils import register_all_modules
    except ImportError as exc:
        raise NotInstalledError(
            "mmseg decoders need mmsegmentation==1.2.2 (pip install -c requirements/constraints.txt mmsegmentation mmcv-lite ftfy)"
        ) from exc
    register_all_modules(init_default_scope=True)  # builders inside mmseg look up "mmseg::" types
    return mmseg


def allow_mmengine_checkpoint_classes() -> None:
    """Allow-list the classes mmengine Runner checkpoints pickle (config dicts, message-hub
    buffers, numpy scalars) for ``torch.load(weights_only=True)``."""
    import numpy as np
    from mmengine.config import ConfigDict
    from mmengine.logging import HistoryBuffer

    torch.serialization.add_safe_globals(
        [
            ConfigDict,
            HistoryBuffer,
            np.dtype,
            np.core.multiarray.scalar,
            np.ndarray,
            np.dtypes.Float64DType,
            np.dtypes.Int64DType,
        ]  # type: ignore[attr-defined]
    )


def _norm() -> dict[str, Any]:
    return {"type": "BN", "requires_grad": True}


def head_config(
    kind: str, channels: Sequence[int], num_classes: int, width: int = 64
) -> dict[str, Any]:
    """mmseg config dict of decode head ``kind`` over encoder levels ``channels``."""
    n = len(channels)
    common = {
        "num_classes": num_classes,
        "norm_cfg": _norm(),
        "align_corners": False,
        "dropout_ratio": 0.0,
    }
    if kind == "fcn":
        return {
            "type": "FCNHead",
            "in_channels": channels[-1],
            "in_index": n - 1,
            "channels": width,
            "num_convs": 2,
            "concat_input": True,
            **common,
        }
    if kind == "segformer":
        return {
            "type": "SegformerHead",
            "in_channels": list(channels),
            "in_index": list(range(n)),
            "channels": width,
            **common,
        }
    if kind == "uper":
        return {
            "type": "UPerHead",
            "in_channels": list(channels),
            "in_index": list(range(n)),
            "pool_scales": (1, 2, 3, 6),
            "channels": width,
            **common,
        }
    if kind == "deeplabv3plus":
        return {
            "type": "DepthwiseSeparableASPPHead",
            "in_channels": channels[-1],
            "in_index": n - 1,
            "channels": width,
            "dilations": (1, 6, 12, 18),
            "c1_in_channels": channels[0],
            "c1_channels": max(8, width // 4),
            **common,
        }
    raise ConfigError(f"unknown mmseg head {kind!r}; choose fcn, segformer, uper or deeplabv3plus")


class MMSegDecoder(nn.Module):
    """An mmseg decode head behind our decoder surface: features (finest first) → logits at
    ``out_size``. The head's own loss module is unused; the adapter's loss trains it."""

    def __init__(self, kind: str, channels: Sequence[int], num_classes: int, width: int = 64):
        super().__init__()
        ensure_mmseg()
        from mmseg.registry import MODELS

        self.head = MODELS.build(head_config(kind, channels, num_classes, width))

    def forward(self, features: list[torch.Tensor], out_size: Sequence[int]) -> torch.Tensor:
        logits = self.head(list(features))
        return F.interpolate(logits, size=tuple(out_size), mode="bilinear", align_corners=False)


class MMSegUNetEncoder(Encoder):
    """mmseg's UNet backbone (Ronneberger et al.) as an encoder. The UNet already decodes back
    to full resolution, so its one feature level is the last (stride-1) decoder output, on
    which mmseg's UNet configs put an FCN head."""

    def __init__(self, in_chans: int, base_channels: int = 16, num_stages: int = 4):
        super().__init__()
        ensure_mmseg()
        from mmseg.registry import MODELS

        self.unet = MODELS.build(
            {
                "type": "UNet",
                "in_channels": in_chans,
                "base_channels": base_channels,
                "num_stages": num_stages,
                "strides": (1,) * num_stages,
                "enc_num_convs": (2,) * num_stages,
                "dec_num_convs": (2,) * (num_stages - 1),
                "downsamples": (True,) * (num_stages - 1),
                "enc_dilations": (1,) * num_stages,
                "dec_dilations": (1,) * (num_stages - 1),
                "norm_cfg": _norm(),
            }
        )
        self.channels = [base_channels]
        self.reductions = [1]
        self.embed_dim = base_channels
        self.lora_targets = ("conv",)

    def forward_features(
        self, x: torch.Tensor, meta: dict[str, Any] | None = None
    ) -> list[torch.Tensor]:
        return [self.unet(x)[-1]]

    def forward_pooled(self, x: torch.Tensor, meta: dict[str, Any] | None = None) -> torch.Tensor:
        return self.forward_features(x)[0].mean(dim=(2, 3))

    def stages(self) -> list[nn.Module]:
        return list(self.unet.encoder)
