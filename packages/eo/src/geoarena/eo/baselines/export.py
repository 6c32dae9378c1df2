"""Serving export of a fitted classical EO baseline (random forest / LightGBM).

The fitted estimator is written in a format whose loading runs no code (LightGBM's text model,
skops for scikit-learn; ``geoarena.eo.baselines.persist``), its feature settings and the data's
band statistics as JSON. ``load_classical_predictor`` wraps the estimator as a module returning log-probabilities,
so the EO predictor (raw chips → classes, GeoTIFF → class COG) serves it like a network.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geoarena.core.model import ExportedModel

if TYPE_CHECKING:
    from geoarena.eo.baselines.adapter import ClassicalAdapter

LOADER = "geoarena.eo.baselines.serving:load_classical_predictor"


def export_classical(adapter: ClassicalAdapter, out_dir: str | Path) -> ExportedModel | None:
    from geoarena.eo.baselines.persist import save_estimator

    if adapter.estimator is None:
        return None
    path = save_estimator(adapter.estimator, Path(out_dir))
    settings = {
        "cfg": asdict(adapter.cfg),
        "classes_": [int(c) for c in adapter.classes_],
        "num_classes": int(adapter.num_classes),
        "band_names": list(adapter.band_names),
        "mean": [float(v) for v in adapter.mean],
        "std": [float(v) for v in adapter.std],
    }
    settings_path = Path(out_dir) / "classical_settings.json"
    settings_path.write_text(json.dumps(settings, indent=2, default=str))
    size = 32
    mean = np.asarray(adapter.mean, np.float32)
    std = np.asarray(adapter.std, np.float32)
    rng = np.random.default_rng(0)
    raw = (
        mean[None, :, None, None]
        + std[None, :, None, None] * rng.standard_normal((2, len(mean), size, size))
    ).astype(np.float32)
    card = {
        **{k: v for k, v in vars(adapter.card).items() if k != "extra"},
        "modality": "eo",
        "task": adapter.task.name,
        "task_kind": adapter.task.kind,
        "class_names": list(adapter.task.class_names or ()),
        "num_classes": int(adapter.num_classes),
        "data_bands": list(adapter.band_names),
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "chip_size": int(adapter.chip_size or size),
        "gsd": float(adapter.gsd or 0.0),
        "data_input_unit": adapter.input_unit,
        "requirements": ["scikit-learn", "lightgbm", "skops", "rasterio", "torch"],
    }
    files = {"estimator": str(path), "settings": str(settings_path)}
    return ExportedModel(LOADER, files, card, raw)
