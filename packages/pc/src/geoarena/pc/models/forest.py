"""Classical baseline: a random forest on the per-point geometric features."""

from __future__ import annotations

from typing import Any

import numpy as np

from geoarena.core.model import FitResult, ModelAdapter, ModelCard
from geoarena.pc.serving_context import serving_context


class RandomForestAdapter(ModelAdapter):
    """scikit-learn ``RandomForestClassifier`` on ``CloudDataModule.arrays`` (one fit, no epochs).

    Args:
        n_estimators, min_samples_leaf, max_samples: forest settings (``max_samples`` < 1 bags a
            fraction of the points per tree, which keeps fits short on 2 cores).
        n_jobs: worker threads.
    """

    def __init__(
        self,
        n_estimators: int = 60,
        min_samples_leaf: int = 3,
        max_samples: float = 0.5,
        n_jobs: int = 2,
    ):
        self.params = dict(
            n_estimators=n_estimators,
            min_samples_leaf=min_samples_leaf,
            max_samples=max_samples,
            n_jobs=n_jobs,
        )
        self.card = ModelCard(
            name="pc/random-forest",
            backbone="random-forest",
            decoder="none",
            input_unit="geometric features",
        )
        self.forest = None

    def build(self, task, protocol, cfg, data) -> None:
        from sklearn.ensemble import RandomForestClassifier

        self.task = task
        self.num_classes = task.num_classes
        self.serving = serving_context(data)  # class map + features for export()
        self.forest = RandomForestClassifier(
            random_state=cfg.seed, class_weight=None, **self.params
        )

    def fit(self, data, train, on_epoch) -> FitResult:
        from geoarena.core.evaluation import evaluate_split

        x, y = data.arrays("train")
        self.forest.fit(x, y)
        val = evaluate_split(self.predict, data, "val", self.task.metrics(), 1)
        on_epoch(0, {"train/points": float(len(y)), **val})
        return FitResult(best_epoch=0, best_val=val, epochs_run=1)

    def predict_proba_features(self, features: np.ndarray) -> np.ndarray:
        proba = self.forest.predict_proba(features)
        out = np.zeros((len(features), self.num_classes), np.float32)
        out[:, self.forest.classes_] = proba
        return out

    def export(self, out_dir: str):
        """The fitted model + class map + feature settings for serving (``geoarena.pc.serving``)."""
        from geoarena.pc.serving import export_pc

        return export_pc(self, out_dir)

    #: throughput in points per second (every point of the evaluated windows, halo included)
    throughput_unit = "point"

    def count_units(self, batch: dict[str, Any]) -> int:
        return int(batch["points"].shape[0] * batch["points"].shape[1])

    def __getstate__(self) -> dict[str, Any]:
        # the task holds closures (data factory); a pickled adapter only needs its class count
        return {k: v for k, v in self.__dict__.items() if k != "task"}

    def predict(self, batch: dict[str, Any]):
        import torch

        feats = batch["features"]
        flat = feats.reshape(-1, feats.shape[-1]).cpu().numpy()
        pred = self.predict_proba_features(flat).argmax(axis=1)
        return torch.from_numpy(pred.reshape(feats.shape[:-1]).astype(np.int64))
