"""GEO-Bench-2's two published normalisation schemes besides the dataset classes' z-score.

* ``clip_rescale``: clip each band to its modality's ``[clip_min_used, clip_max_used]``, shift
  negative ranges to start at 0, divide by the range (→ [0, 1], clamped), then z-score with the
  rescaled statistics (``norm_mean``/``norm_std`` of the stats file, else the band's mean and
  std carried through the same shift and scale).
* ``satmae``: clip to ``mean ± 2·std`` (shifted by ``shift_offsets`` or by ``-(mean - 2·std)``
  when that is negative) and rescale to [0, 1] (SatMAE/SeCo).

The statistics come from GEO-Bench-2's stats files (``dataset_stats_clip_rescale/<ds>/
<ds>_stats.json``, ``dataset_stats_satmae/<ds>/<ds>_stats.json``), read from a local folder:
``GEOARENA_GB2_STATS_DIR`` holding those two sub-folders, with ``GEOARENA_GB2_NORMALIZATION``
naming the scheme (default: the classes' z-score). Formulas follow the published normaliser
classes (``geobench_v2/datasets/normalization.py``); the code is ours.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from geoarena.core.errors import ConfigError, DataError
from geoarena.eo.geobench2.stats import load_published_stats

SCHEMES = ("zscore", "clip_rescale", "satmae")
EPS = 1e-6


def _bands(stats: dict[str, dict[str, float]], key: str, bands, default=None) -> np.ndarray:
    table = stats.get(key, {})
    out = []
    for b in bands:
        if b not in table:
            if default is not None:
                out.append(default)
                continue
            raise DataError(f"normalisation stats have no {key!r} for band {b!r}")
        out.append(table[b])
    return np.asarray(out, np.float64)[None, :, None, None]


def clip_rescale(x: np.ndarray, stats: dict[str, dict[str, float]], bands) -> np.ndarray:
    """``(T, C, H, W)`` → clip, shift, rescale to [0, 1], z-score (see module docstring)."""
    lo = _bands(stats, "clip_min_used", bands, default=-np.inf)
    hi = _bands(stats, "clip_max_used", bands, default=np.inf)
    shift = np.where(lo < 0, -lo, 0.0)
    scale = np.maximum((hi + shift) - np.maximum(lo + shift, 0.0), EPS)
    mean, std = _bands(stats, "mean", bands), _bands(stats, "std", bands)
    if "norm_mean" in stats and all(b in stats["norm_mean"] for b in bands):
        nm, ns = _bands(stats, "norm_mean", bands), _bands(stats, "norm_std", bands)
    else:
        nm, ns = (mean + shift) / scale, std / scale
    r = np.clip((np.clip(x, lo, hi) + shift) / scale, 0.0, 1.0)
    return ((r - nm) / (ns + EPS)).astype(np.float32)


def satmae(x: np.ndarray, stats: dict[str, dict[str, float]], bands) -> np.ndarray:
    """``(T, C, H, W)`` → shift, clip to mean ± 2 std, rescale to [0, 1]."""
    mean, std = _bands(stats, "mean", bands), _bands(stats, "std", bands)
    lo, hi = mean - 2 * std, mean + 2 * std
    auto = np.where(lo < 0, -lo, 0.0)
    offsets = stats.get("shift_offsets", {})
    given = np.array([offsets.get(b, np.nan) for b in bands], np.float64)[None, :, None, None]
    off = np.where(np.isnan(given), auto, given)
    mn, mx = lo + off, hi + off
    return np.clip((x + off - mn) / (mx - mn + EPS), 0.0, 1.0).astype(np.float32)


def scheme_from_env() -> tuple[str, Path | None]:
    """``(scheme, stats_dir)`` from ``GEOARENA_GB2_NORMALIZATION`` / ``GEOARENA_GB2_STATS_DIR``."""
    scheme = os.environ.get("GEOARENA_GB2_NORMALIZATION", "zscore")
    if scheme not in SCHEMES:
        raise ConfigError(f"GEOARENA_GB2_NORMALIZATION={scheme!r}: use one of {SCHEMES}")
    if scheme == "zscore":
        return scheme, None
    root = os.environ.get("GEOARENA_GB2_STATS_DIR")
    if not root:
        raise ConfigError(
            f"GEOARENA_GB2_NORMALIZATION={scheme} needs GEOARENA_GB2_STATS_DIR: a local folder "
            f"holding GEO-Bench-2's dataset_stats_{scheme}/<dataset>/<dataset>_stats.json"
        )
    return scheme, Path(root)


def published_stats(stats_dir: Path, scheme: str, dataset: str) -> dict[str, dict[str, float]]:
    """GEO-Bench-2's ``<scheme>`` stats of ``dataset`` under ``stats_dir``."""
    path = stats_dir / f"dataset_stats_{scheme}" / dataset / f"{dataset}_stats.json"
    if not path.is_file():
        raise DataError(f"no GEO-Bench-2 {scheme} stats for {dataset}", path)
    return load_published_stats(path)
