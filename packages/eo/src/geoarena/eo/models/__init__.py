"""EO model zoo: timm backbones, Prithvi-EO-2.0, SatMAE-style and wavelength-conditioned ViTs,
decoders/necks, MAE pretraining, mmseg decoders and ONNX export.

``register_all()`` (called from ``geoarena.eo.plugin.register``) adds every model to
``geoarena.core.registry.MODELS``; importing this package registers nothing by itself.
"""

from __future__ import annotations


def register_all() -> None:
    """Register every EO model under ``eo/<name>`` (the decorators in ``zoo`` run on import)."""
    from geoarena.eo.models import smp_zoo, zoo  # noqa: F401
