"""Normalisation provenance: what units and statistics the data has, and whether a pretrained
model's card accepts them.

Pretrained weights only make sense on inputs in the units and value distribution they were
trained on (e.g. Prithvi-EO-2.0: HLS reflectance × 10 000; ImageNet timm weights: 0–1 RGB). A
backbone adapter calls ``check_input_matches_card`` in ``build``; a mismatch raises ``DataError``
unless the user overrides explicitly (``model_kwargs.allow_unit_mismatch=True``), and the
returned record is logged with the run either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.eo.data.info import RasterInfo


@dataclass
class NormalisationRecord:
    """What a run records about its inputs (logged as params ``data.*``)."""

    input_unit: str
    normalization: str
    band_names: tuple[str, ...]
    data_mean: tuple[float, ...]
    data_std: tuple[float, ...]
    card_unit: str = ""
    card_mean: tuple[float, ...] = ()
    card_std: tuple[float, ...] = ()
    status: str = "ok"  # ok | no_card_stats | overridden: <problems>
    problems: list[str] = field(default_factory=list)

    def as_params(self) -> dict[str, Any]:
        return {
            f"data.{k}": (list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(self).items()
            if k != "problems"
        }


def normalisation_record(info: RasterInfo) -> NormalisationRecord:
    """The provenance of a datamodule's inputs from its ``info``."""
    return NormalisationRecord(
        input_unit=info.input_unit,
        normalization=info.normalization,
        band_names=info.band_names,
        data_mean=info.mean,
        data_std=info.std,
    )


def check_input_matches_card(
    card: Any,
    info: RasterInfo,
    allow_mismatch: bool = False,
    mean_tolerance: float = 1.0,
    std_ratio: float = 3.0,
) -> NormalisationRecord:
    """Compare the data (``info``: input_unit, band_names, mean, std) with a model card
    (``input_unit``, ``bands``, ``mean``, ``std``).

    Problems: a different input unit; card bands missing from the data; for shared bands, a data
    mean more than ``mean_tolerance`` card standard deviations from the card mean, or a data std
    off by more than ``std_ratio``×. Raises ``DataError`` listing them unless ``allow_mismatch``,
    in which case the record's status says ``overridden``.
    """
    rec = normalisation_record(info)
    rec.card_unit = str(getattr(card, "input_unit", "") or "")
    rec.card_mean = tuple(float(v) for v in getattr(card, "mean", ()) or ())
    rec.card_std = tuple(float(v) for v in getattr(card, "std", ()) or ())
    problems: list[str] = []
    if rec.card_unit and rec.input_unit and rec.card_unit != rec.input_unit:
        problems.append(f"input unit {rec.input_unit!r} differs from the card's {rec.card_unit!r}")
    card_bands: Sequence[str] = tuple(getattr(card, "bands", ()) or ())
    if card_bands and rec.band_names:
        missing = [b for b in card_bands if b not in rec.band_names]
        if missing and len(missing) == len(card_bands):
            problems.append(
                f"none of the card's bands {list(card_bands)} is in the data {list(rec.band_names)}"
            )
        if rec.card_mean and rec.data_mean and len(rec.card_mean) == len(card_bands):
            for i, b in enumerate(card_bands):
                if b not in rec.band_names:
                    continue
                j = rec.band_names.index(b)
                cm, cs = rec.card_mean[i], rec.card_std[i] if i < len(rec.card_std) else 1.0
                dm, ds = rec.data_mean[j], rec.data_std[j]
                if abs(dm - cm) > mean_tolerance * cs:
                    problems.append(
                        f"band {b}: data mean {dm:.4g} is {abs(dm - cm) / cs:.1f} card stds from {cm:.4g}"
                    )
                if ds > 0 and cs > 0 and not (1 / std_ratio <= ds / cs <= std_ratio):
                    problems.append(f"band {b}: data std {ds:.4g} vs card std {cs:.4g}")
    elif not rec.card_mean:
        rec.status = "no_card_stats"
    rec.problems = problems
    if problems:
        if not allow_mismatch:
            raise DataError(
                "input does not match the model card: "
                + "; ".join(problems)
                + " — convert the data, or override with model_kwargs.allow_unit_mismatch=True"
            )
        rec.status = "overridden: " + "; ".join(problems)
    return rec


def renormalise(
    x: np.ndarray,
    data_mean: Sequence[float],
    data_std: Sequence[float],
    card_mean: Sequence[float],
    card_std: Sequence[float],
) -> np.ndarray:
    """Data z-scores (``(x_raw − data_mean) / data_std``, channel axis −3) → z-scores with the
    card's statistics, for models that expect their own normalisation."""
    dm, ds = np.asarray(data_mean, np.float32), np.asarray(data_std, np.float32)
    cm, cs = np.asarray(card_mean, np.float32), np.asarray(card_std, np.float32)
    shape = (-1, 1, 1)
    raw = x * ds.reshape(shape) + dm.reshape(shape)
    return ((raw - cm.reshape(shape)) / cs.reshape(shape)).astype(np.float32)
