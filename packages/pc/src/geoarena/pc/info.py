"""``PointCloudInfo``: what a point-cloud model needs to know about its data (``DataModule.info``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PointCloudInfo:
    """Facts of one labelled point cloud, known once the datamodule is set up.

    Attributes:
        feature_names: per-point input features in column order (the feature count derives
            from it).
        class_names: label space, in label-id order.
        ignore_index: label left out of loss and metric.
        mean, std: per-feature statistics over the training points (what models standardise
            with).
        input_unit: unit of the coordinates.
        normalization: how features are standardised.
        crop_points: points per training crop.
        crs: the cloud's coordinate reference system (``""`` when the file declares none).
        fold: the spatial stripe fold held out.
        n_points: points in the cloud (after a quick run's subsampling).
    """

    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    ignore_index: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    input_unit: str = "metres"
    normalization: str = "zscore(train points)"
    crop_points: int = 0
    crs: str = ""
    fold: int = 0
    n_points: int = 0

    def __post_init__(self) -> None:
        for name in ("feature_names", "class_names"):
            object.__setattr__(self, name, tuple(str(v) for v in getattr(self, name)))
        for name in ("mean", "std"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != len(self.feature_names):
                raise ValueError(
                    f"PointCloudInfo: {len(self.feature_names)} features but {len(values)} "
                    f"{name} values"
                )
            object.__setattr__(self, name, values)

    @property
    def in_chans(self) -> int:
        """Input features per point."""
        return len(self.feature_names)

    def describe(self) -> dict[str, str]:
        """``input_unit`` and ``normalization`` for the results table."""
        return {"input_unit": self.input_unit, "normalization": self.normalization}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples as lists), for cards and logs."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
