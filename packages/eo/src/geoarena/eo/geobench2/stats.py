"""Normalisation statistics of GEO-Bench-2's dataset classes (facts, keyed by GEO-Bench-2's band
names; source: ``normalization_stats`` of The-AI-Alliance/GEO-Bench-2 ``geobench_v2/datasets``).

These are the per-band ``means``/``stds`` the published classes z-score with, stored as data in
``zscore_stats.json`` beside this module. GEO-Bench-2 also
publishes two further stat sets per dataset (``clip_rescale`` and ``satmae``, JSON files with
``input_stats.<modality>.{band_names, mean, std, clip_min_used, clip_max_used, norm_mean,
norm_std}``); ``load_published_stats`` reads those files from a local path.
"""

from __future__ import annotations

import json
from pathlib import Path

from geoarena.core.errors import DataError

_FILE = Path(__file__).with_name("zscore_stats.json")


def _load_zscore() -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    raw = json.loads(_FILE.read_text())
    out = {k: (v["means"], v["stds"]) for k, v in raw.items() if not k.startswith("_")}
    out["pastis_r"] = out["pastis"]  # PASTIS-R: the same images, instance labels
    return out


#: dataset → (means, stds) by GEO-Bench-2 band name (``zscore_stats.json``)
ZSCORE: dict[str, tuple[dict[str, float], dict[str, float]]] = _load_zscore()


def load_published_stats(path: str | Path) -> dict[str, dict[str, float]]:
    """Per-band ``mean``/``std`` (and ``norm_mean``/``norm_std``/clip bounds where present) from
    one of GEO-Bench-2's ``dataset_stats_{clip_rescale,satmae}/<ds>/<ds>_stats.json`` files."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read GEO-Bench-2 stats JSON ({e})", path) from e
    if "input_stats" not in raw:
        raise DataError("not a GEO-Bench-2 stats file (no 'input_stats')", path)
    out: dict[str, dict[str, float]] = {"mean": {}, "std": {}}
    for modality, st in raw["input_stats"].items():
        for key in ("band_names", "mean", "std"):
            if key not in st:
                raise DataError(f"input_stats.{modality} lacks {key!r}", path)
        for i, band in enumerate(st["band_names"]):
            for key in ("mean", "std", "norm_mean", "norm_std"):
                if key in st:
                    out.setdefault(key, {})[band] = float(st[key][i])
            for key in ("clip_min_used", "clip_max_used"):
                if key in st:
                    out.setdefault(key, {})[band] = float(st[key])
    return out
