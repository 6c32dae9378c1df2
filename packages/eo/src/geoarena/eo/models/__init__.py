"""EO model zoo: timm backbones, Prithvi-EO-2.0, SatMAE-style and wavelength-conditioned ViTs,
decoders/necks, MAE pretraining, mmseg decoders and ONNX export.

``register_all()`` (called from ``geoarena.eo.plugin.register``) adds every model to
``geoarena.core.registry.MODELS``; importing this package registers nothing by itself.
"""

from __future__ import annotations


def register_all() -> None:
    """Register every EO model under ``eo/<name>``."""
    from geoarena.eo.models.zoo import (
        register_mmseg_models,
        register_prithvi_models,
        register_timm_models,
        register_token_vits,
    )

    register_timm_models()
    register_prithvi_models()
    register_token_vits()
    register_mmseg_models()
