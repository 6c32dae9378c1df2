"""The field's geoparsing metrics (Gritta et al., 2018 "What's missing in geographical parsing?").

* recognition: precision / recall / F1 of predicted toponym spans against gold spans, either
  ``exact`` (same start and end) or ``overlap`` (any shared character, matched one-to-one);
* resolution: great-circle error in km per gold toponym; accuracy@161 km (share of errors
  ≤ 161 km, i.e. 100 miles), mean and median error, and the AUC of the sorted log-error curve
  ``trapz(sorted(ln(1 + err))) / (ln(20039) · (n − 1))`` (0 best, 1 worst; 20,039 km is half
  the Earth's circumference). End to end, a gold toponym that was not recognised counts with the
  maximum error (20,039 km), so recognition misses are never hidden.
* uncertainty: percentile bootstrap over documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
MAX_ERROR_KM = 20039.0  # half the equatorial circumference, Gritta et al.'s bound
ACC_KM = 161.0


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (km) by the haversine formula; broadcasts over arrays."""
    if all(type(x) is float for x in (lat1, lon1, lat2, lon2)):
        # one pair of points (most calls of the candidate rules): ~20× faster than numpy's
        # scalar path; the same formula, returned as a numpy float like the array path
        return np.float64(_haversine_pair(lat1, lon1, lat2, lon2))
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _haversine_pair(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def match_spans(
    gold: Sequence[Span], pred: Sequence[Span], mode: str = "exact"
) -> list[tuple[int, int]]:
    """One-to-one (gold index, pred index) matches. ``overlap`` pairs greedily by overlap size."""
    if mode == "exact":
        where = {(p.start, p.end): j for j, p in enumerate(pred)}
        return [
            (i, where[(g.start, g.end)]) for i, g in enumerate(gold) if (g.start, g.end) in where
        ]
    if mode != "overlap":
        raise ValueError(f"mode must be 'exact' or 'overlap', not {mode!r}")
    pairs = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            ov = min(g.end, p.end) - max(g.start, p.start)
            if ov > 0:
                pairs.append((ov, i, j))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_g, used_p, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            out.append((i, j))
    return sorted(out)


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def geocoding_summary(errors_km: Sequence[float]) -> dict[str, float]:
    """accuracy@161 km, mean/median error and AUC of a list of errors (km)."""
    e = np.asarray(errors_km, dtype=np.float64)
    if e.size == 0:
        return {
            "acc161": 0.0,
            "mean_km": math.nan,
            "median_km": math.nan,
            "auc": math.nan,
            "n": 0.0,
        }
    e = np.clip(e, 0.0, MAX_ERROR_KM)
    out = {
        "acc161": float(np.mean(e <= ACC_KM)),
        "mean_km": float(e.mean()),
        "median_km": float(np.median(e)),
        "n": float(e.size),
    }
    out["auc"] = error_auc(e)
    return out


def error_auc(errors_km: Sequence[float]) -> float:
    """Gritta et al.'s AUC of the sorted log-error curve (0 best, 1 worst)."""
    e = np.sort(np.log1p(np.clip(np.asarray(errors_km, dtype=np.float64), 0.0, MAX_ERROR_KM)))
    if e.size < 2:
        return float(e[0] / math.log(MAX_ERROR_KM)) if e.size else math.nan
    return float(np.trapezoid(e) / (math.log(MAX_ERROR_KM) * (e.size - 1)))


def bootstrap_ci(
    per_doc: Sequence[object],
    statistic: Callable[[Sequence[object]], float],
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic`` over documents (resampled with replacement)."""
    items = list(per_doc)
    if not items:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(items), len(items))
        stats.append(statistic([items[i] for i in idx]))
    arr = np.asarray(stats, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return (math.nan, math.nan)
    return (float(np.quantile(arr, alpha / 2)), float(np.quantile(arr, 1 - alpha / 2)))
