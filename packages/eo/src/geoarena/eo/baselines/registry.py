"""Registry names of the classical baselines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoarena.core.registry import MODELS

if TYPE_CHECKING:  # scikit-learn/LightGBM load when a baseline is made, not at registration
    from geoarena.eo.baselines.adapter import ClassicalAdapter

_BASELINES = {
    "eo/rf-pixels": ("rf", "pixels", ("seg",)),
    "eo/lgbm-pixels": ("lgbm", "pixels", ("seg",)),
    "eo/rf-chip-stats": ("rf", "chip_stats", ("cls",)),
    "eo/lgbm-chip-stats": ("lgbm", "chip_stats", ("cls",)),
}


def _factory(name: str, estimator: str, features: str):
    def make(**kwargs) -> ClassicalAdapter:
        from geoarena.eo.baselines.adapter import ClassicalAdapter

        return ClassicalAdapter(name, **{"estimator": estimator, "features": features, **kwargs})

    make.__name__ = name.split("/")[1].replace("-", "_")
    make.__doc__ = f"{estimator} on {features} features (classical baseline)."
    return make


def register() -> None:
    for name, (est, feats, kinds) in _BASELINES.items():
        MODELS.add(
            name,
            _factory(name, est, feats),
            kinds=kinds,
            protocols=("finetune",),
            train_keys=(),  # a fitted forest: no epochs, optimiser or batches
            family="classical",
        )
