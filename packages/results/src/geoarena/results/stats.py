"""Robust statistics of the GEO-Bench aggregation: IQM, standard errors, percentile intervals.

Each follows its SciPy counterpart exactly (``trim_mean(x, 0.25)``, ``sem``, ``mstats.trim``) so
that our numbers on the leaderboard's submissions are the leaderboard's; NaN values are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def _finite(values: Iterable[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(values, dtype=float).ravel()
    return a[np.isfinite(a)]


def _trimmed(a: np.ndarray, proportion: float = 0.25) -> np.ndarray:
    # Same cut as scipy.stats.trim_mean / mstats.trim(relative, inclusive): int(p * n) per end.
    n = a.size
    cut = int(proportion * n)
    return np.sort(a)[cut : n - cut]


def iqm(values: Iterable[float] | np.ndarray) -> float:
    """Interquartile mean: ``scipy.stats.trim_mean(values, 0.25)`` over the finite values."""
    a = _finite(values)
    if a.size == 0:
        return float("nan")
    return float(_trimmed(a).mean())


def sem(values: Iterable[float] | np.ndarray) -> float:
    """Standard error of the mean (``ddof=1``, as ``scipy.stats.sem``); NaN below two values."""
    a = _finite(values)
    if a.size < 2:
        return float("nan")
    return float(a.std(ddof=1) / np.sqrt(a.size))


def trimmed_sem(values: Iterable[float] | np.ndarray) -> float:
    """Standard error of the values an IQM keeps (the leaderboard's per-dataset IQM error)."""
    a = _finite(values)
    return sem(_trimmed(a)) if a.size else float("nan")


def percentile_ci(samples: np.ndarray, ci: float) -> tuple[float, float]:
    """Percentile interval at level ``ci`` of the finite ``samples``; NaNs when there are none."""
    s = samples[np.isfinite(samples)]
    if s.size == 0:
        return float("nan"), float("nan")
    alpha = (1.0 - ci) / 2.0
    lo, hi = np.quantile(s, [alpha, 1.0 - alpha])
    return float(lo), float(hi)
