"""``RasterInfo``: what an EO model needs to know about its raster data (``DataModule.info``).

Core treats ``info`` as opaque; EO datamodules set a ``RasterInfo`` and EO models read it. The
band names live here and nowhere else: the channel count, the wavelengths a spectral model looks
up and the card a served model carries all derive from ``band_names``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RasterInfo:
    """Facts of one EO raster dataset, fixed once the datamodule is built.

    Attributes:
        band_names: canonical band names in channel order (``red``, ``nir08``, ``B04`` …).
        input_unit: unit of the raw pixels (``dn_uint16``, ``reflectance_x10000``, ``uint8`` …),
            checked against a pretrained model's card.
        normalization: how the loader normalises (``zscore_train_band_stats`` …).
        mean, std: per-band statistics in ``input_unit`` (what normalisation subtracts and
            divides by; ``()`` when the loader serves values that are already normalised).
        class_names: label names (may be empty where the task's own ``class_names`` suffice).
        chip_size: chip side in pixels (0: unknown).
        n_time_steps: dates per sample (images are ``(B, T, C, H, W)`` when > 1).
        ignore_index: target value left out of loss and metric (``None``: none).
        gsd: ground sampling distance in metres per pixel, where known.
        source: where the data came from (archive, folder, publication).
        split: how the splits were made, when the datamodule made them.
        band_names_unreliable: the stored band names are known to be wrong (GEO-Bench v1
            ``m-eurosat``/``m-brick-kiln``), so band adaptation by name should refuse or warn.
    """

    band_names: tuple[str, ...] = ()
    input_unit: str = ""
    normalization: str = ""
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    class_names: tuple[str, ...] = ()
    chip_size: int = 0
    n_time_steps: int = 1
    ignore_index: int | None = None
    gsd: float | None = None
    source: str = ""
    split: str = ""
    band_names_unreliable: bool = False

    def __post_init__(self) -> None:
        # accept lists/arrays from readers, keep the frozen value hashable and comparable
        for name, cast in (("band_names", str), ("class_names", str)):
            object.__setattr__(self, name, tuple(cast(v) for v in getattr(self, name)))
        for name in ("mean", "std"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        for name in ("mean", "std"):
            n = len(getattr(self, name))
            if n and self.band_names and n != len(self.band_names):
                raise ValueError(
                    f"RasterInfo: {len(self.band_names)} band names but {n} {name} values"
                )

    @property
    def in_chans(self) -> int:
        """Channels per time step (the number of band names)."""
        return len(self.band_names)

    def describe(self) -> dict[str, str]:
        """``input_unit`` and ``normalization`` for the results table."""
        return {"input_unit": self.input_unit, "normalization": self.normalization}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples as lists), for cards and logs."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RasterInfo:
        """The inverse of ``to_dict``; keys that are not fields (older records) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def raster_info(data: Any, model: str) -> RasterInfo:
    """``data.info`` as a ``RasterInfo``, or a ``ConfigError`` naming ``model`` and what it got
    (an EO model asked to run on another modality's data)."""
    info = getattr(data, "info", None)
    if not isinstance(info, RasterInfo):
        from geoarena.core.errors import ConfigError

        raise ConfigError(
            f"model {model} reads EO raster data (RasterInfo); this data's info is "
            f"{type(info).__name__}"
        )
    return info
