"""Serving export of a fitted point-cloud cell, and the predictor ``geoarena.serve`` loads.

The fitted adapter (random forest or point network, moved to CPU), its class map and its feature
settings are written in formats whose loading runs no code (``geoarena.pc.persist``: JSON, skops,
a ``weights_only`` state dict).
``PcPredictor.predict_file`` classifies a LAS/LAZ tile by tile into a classified LAS (the
header, scales and CRS of the input kept); ``predict`` takes a DataFrame of points.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.model import ExportedModel

LOADER = "geoarena.pc.serving:load_pc_predictor"


def export_pc(adapter: Any, out_dir: str | Path) -> ExportedModel | None:
    import pandas as pd

    from geoarena.pc.persist import save_adapter

    ctx = getattr(adapter, "serving", {})
    if not ctx:
        return None
    model = getattr(adapter, "model", None)
    if model is not None and hasattr(model, "cpu"):
        model.cpu()
        adapter.device = "cpu"
    files = save_adapter(adapter, ctx, Path(out_dir))
    cmap = ctx["class_map"]
    card = {
        **{k: v for k, v in vars(adapter.card).items() if k != "extra"},
        "modality": "pc",
        "task": adapter.task.name,
        "task_kind": adapter.task.kind,
        "class_names": list(cmap.class_names),
        "class_map": cmap.name,
        "num_classes": cmap.num_classes,
        "input_unit": "metres",
        "crs": ctx.get("crs", ""),
        "point_attributes": list(ctx.get("attributes", ())),
        "requirements": ["laspy", "scikit-learn", "scipy", "torch", "skops"],
    }
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 20, (400, 3))
    example = pd.DataFrame({"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2] / 4})
    for a in ctx.get("attributes", ()):  # the per-point attributes the model was trained with
        example[a] = rng.integers(1, 3 if "return" in a else 60000, len(example))
    return ExportedModel(LOADER, files, card, example)


class PcPredictor:
    """Points → ASPRS classes; LAS/LAZ → classified LAS."""

    def __init__(self, files: dict[str, str], card: dict[str, Any]):
        from geoarena.pc.persist import load_adapter

        self.card = card
        self.adapter, ctx = load_adapter(files)
        self.class_map = ctx["class_map"]
        self.features = ctx["features"]

    def predict_file(
        self, input: Path, output: Path, tile_m: float = 50.0, halo_m: float = 8.0
    ) -> dict[str, Any]:
        """Tiled classification of ``input`` → ``output`` (LAS, or LAZ by suffix)."""
        from geoarena.pc.classify import TilingConfig, adapter_predictor, classify_las

        cfg = TilingConfig(tile_m, halo_m, features=self.features)
        stats = classify_las(input, output, adapter_predictor(self.adapter), self.class_map, cfg)
        codes = stats.pop("predictions")
        counts = np.bincount(codes, minlength=1)
        return {
            **stats,
            "output": str(output),
            "class_counts": {int(c): int(n) for c, n in enumerate(counts) if n},
        }

    def predict(self, inputs: Any):
        """DataFrame with ``x, y, z`` in metres and the card's ``point_attributes`` (those the
        model was trained with, e.g. intensity, returns, colour) → DataFrame ``classification``
        (ASPRS codes)."""
        import laspy
        import pandas as pd

        df = pd.DataFrame(inputs)
        attrs = list(self.card.get("point_attributes", ()))
        missing = [c for c in ("x", "y", "z", *attrs) if c not in df.columns]
        if missing:
            raise DataError(f"points need columns x, y, z, {', '.join(attrs)}; missing {missing}")
        fmt = 8 if "nir" in attrs else 7 if {"red", "green", "blue"} & set(attrs) else 6
        header = laspy.LasHeader(point_format=fmt, version="1.4")
        header.scales = np.array([0.001, 0.001, 0.001])
        header.offsets = np.floor(df[["x", "y", "z"]].to_numpy(dtype=float).min(axis=0))
        las = laspy.LasData(header)
        las.x, las.y, las.z = (df[c].to_numpy(float) for c in ("x", "y", "z"))
        for c in attrs:
            setattr(las, c, df[c].to_numpy())
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "in.las", Path(tmp) / "out.las"
            las.write(src)
            self.predict_file(src, out)
            classes = laspy.read(out).classification
        return pd.DataFrame({"classification": np.asarray(classes, dtype=np.int64)})


def load_pc_predictor(files: dict[str, str], card: dict[str, Any]) -> PcPredictor:
    return PcPredictor(files, card)
