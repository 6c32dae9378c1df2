"""Loading an exported classical baseline for serving: the fitted estimator behind the EO
predictor (``geoarena.eo.models.export.EOPredictor``). Written by ``export.export_classical``;
nothing here unpickles (``geoarena.eo.baselines.persist``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from geoarena.core.inputs import bad_input, check_input_file


class ClassicalNet(torch.nn.Module):
    """Normalised chips ``(B, C, H, W)`` → log class probabilities, ``(B, K, H, W)`` for pixel
    features or ``(B, K)`` for chip statistics (the estimator runs in numpy)."""

    def __init__(self, state: dict[str, Any]):
        super().__init__()
        from geoarena.eo.baselines.adapter import ClassicalAdapter

        self.adapter = ClassicalAdapter.__new__(ClassicalAdapter)
        for k, v in state.items():
            setattr(self.adapter, k, v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proba = self.adapter.predict({"image": x.detach().cpu().numpy()})
        logp = torch.from_numpy(np.log(np.maximum(proba, 1e-12)).astype(np.float32))
        return logp.to(x.device)  # scene prediction on a GPU expects its output there


def read_state(files: dict[str, str]) -> dict[str, Any]:
    """The adapter state of an exported baseline: settings JSON + estimator (safe formats)."""
    from geoarena.eo.baselines.adapter import ClassicalConfig
    from geoarena.eo.baselines.persist import load_estimator

    if "settings" not in files:  # folders written before the safe formats hold a joblib pickle
        load_estimator(files["estimator"], "classical model")  # refuses a pickle with one line
        raise bad_input(
            "classical model", "no settings file beside it; re-export the model", files["estimator"]
        )
    path = check_input_file(files["settings"], "classical model settings")
    try:
        settings = json.loads(Path(path).read_text(encoding="utf-8"))
        cfg = dict(settings["cfg"])
        cfg["grid"] = tuple(cfg.get("grid", ()))
        state = {
            "cfg": ClassicalConfig(**cfg),
            "classes_": np.asarray(settings["classes_"], np.int64),
            "num_classes": int(settings["num_classes"]),
            "band_names": tuple(settings["band_names"]),
            "mean": np.asarray(settings["mean"], np.float32),
            "std": np.asarray(settings["std"], np.float32),
        }
    except (ValueError, KeyError, TypeError) as exc:  # JSON, missing keys, wrong shapes
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise bad_input("classical model settings", f"unreadable ({msg})", path) from None
    state["estimator"] = load_estimator(files["estimator"], "classical model")
    return state


def load_classical_predictor(files: dict[str, str], card: dict[str, Any]):
    from geoarena.eo.models.export import EOPredictor

    return EOPredictor(files, card, net=ClassicalNet(read_state(files)))
