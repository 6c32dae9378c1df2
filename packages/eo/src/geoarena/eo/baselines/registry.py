"""Registry names of the classical baselines (registered on import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from geoarena.core.registry import MODELS

if TYPE_CHECKING:  # scikit-learn/LightGBM load when a baseline is made, not at registration
    from geoarena.eo.baselines.adapter import ClassicalAdapter


@dataclass(frozen=True)
class Baseline:
    """One classical baseline: ``estimator`` (rf/lgbm) on ``features`` (pixels/chip_stats)."""

    name: str
    estimator: str
    features: str
    kinds: tuple[str, ...]


BASELINES = (
    Baseline("eo/rf-pixels", "rf", "pixels", ("seg",)),
    Baseline("eo/lgbm-pixels", "lgbm", "pixels", ("seg",)),
    Baseline("eo/rf-chip-stats", "rf", "chip_stats", ("cls",)),
    Baseline("eo/lgbm-chip-stats", "lgbm", "chip_stats", ("cls",)),
)


@MODELS.register_each(
    BASELINES,
    name=lambda b: b.name,
    meta=lambda b: {"kinds": b.kinds},
    protocols=("finetune",),
    train_keys=(),  # a fitted forest: no epochs, optimiser or batches
    family="classical",
)
def make_baseline(b: Baseline, **kwargs) -> ClassicalAdapter:
    """``b.estimator`` on ``b.features`` features (classical baseline)."""
    from geoarena.eo.baselines.adapter import ClassicalAdapter

    return ClassicalAdapter(b.name, **{"estimator": b.estimator, "features": b.features, **kwargs})
