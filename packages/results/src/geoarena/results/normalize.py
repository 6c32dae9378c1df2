"""Per-dataset min–max normalisation of scores (the GEO-Bench-2 leaderboard's ``normalizer.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geoarena.core.errors import ConfigError, DataError
from geoarena.results.schema import DATASET_COL, SCORE_COL


@dataclass(frozen=True)
class Normalizer:
    """Per-dataset min–max range: normalised = ``(v - min) / (max - min)``.

    ``lower_is_better`` names datasets whose metric improves downwards (RMSE): for them the
    normalised score is ``(max - v) / (max - min)`` so that 1 is still the best run. A dataset
    whose range is empty (every run scored the same) normalises to 0.0: it carries no ranking
    information, and NaN would poison every group it belongs to.
    """

    ranges: Mapping[str, tuple[float, float]]
    lower_is_better: frozenset[str] = field(default_factory=frozenset)
    source: str = "table"

    @classmethod
    def from_json(cls, path: str | Path, lower_is_better: Iterable[str] = ()) -> Normalizer:
        """Read a GEO-Bench-2 ``normalizer.json`` (``{"dataset": [min, max], ...}``)."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise DataError("normalizer file not found", path) from exc
        except json.JSONDecodeError as exc:
            raise DataError(f"normalizer is not valid JSON: {exc}", path) from exc
        ranges: dict[str, tuple[float, float]] = {}
        for ds, rng in raw.items() if isinstance(raw, dict) else []:
            if not (isinstance(rng, list | tuple) and len(rng) == 2):
                raise DataError(f"normalizer entry {ds!r} must be [min, max], got {rng!r}", path)
            ranges[str(ds)] = (float(rng[0]), float(rng[1]))
        if not ranges:
            raise DataError("normalizer must map dataset names to [min, max]", path)
        return cls(ranges, frozenset(lower_is_better), str(path))

    @classmethod
    def from_table(
        cls,
        df: pd.DataFrame,
        dataset_col: str = DATASET_COL,
        score_col: str = SCORE_COL,
        lower_is_better: Iterable[str] = (),
    ) -> Normalizer:
        """Min and max over every run of each dataset in ``df`` (the leaderboard's ``make_normalizer``)."""
        stats = df.groupby(dataset_col, sort=True)[score_col].agg(["min", "max"])
        ranges = {str(ds): (float(r["min"]), float(r["max"])) for ds, r in stats.iterrows()}
        return cls(ranges, frozenset(lower_is_better), "table")

    def to_json(self, path: str | Path) -> Path:
        """Write the ranges in the leaderboard's ``normalizer.json`` layout."""
        path = Path(path)
        path.write_text(json.dumps({k: list(v) for k, v in self.ranges.items()}, indent=2))
        return path

    def __call__(self, dataset: str, values: float | np.ndarray) -> np.ndarray:
        if dataset not in self.ranges:
            raise ConfigError(
                f"normalizer ({self.source}) has no range for dataset {dataset!r}; "
                f"it knows {', '.join(sorted(self.ranges))}"
            )
        lo, hi = self.ranges[dataset]
        v = np.asarray(values, dtype=float)
        span = hi - lo
        if span == 0:
            return np.zeros_like(v)
        return (hi - v) / span if dataset in self.lower_is_better else (v - lo) / span

    def normalize_frame(
        self, df: pd.DataFrame, dataset_col: str = DATASET_COL, score_col: str = SCORE_COL
    ) -> pd.Series:
        """Normalised score of every row of ``df`` (same index)."""
        out = pd.Series(np.nan, index=df.index, dtype=float)
        for ds, rows in df.groupby(dataset_col, sort=False).groups.items():
            out.loc[rows] = self(str(ds), df.loc[rows, score_col].to_numpy())
        return out
