"""Loading an exported classical baseline for serving: the fitted estimator behind the EO
predictor (``geoarena.eo.models.export.EOPredictor``). Written by ``export.export_classical``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


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
        return torch.from_numpy(np.log(np.maximum(proba, 1e-12)).astype(np.float32))


def load_classical_predictor(files: dict[str, str], card: dict[str, Any]):
    import joblib

    from geoarena.eo.models.export import EOPredictor

    return EOPredictor(files, card, net=ClassicalNet(joblib.load(files["estimator"])))
