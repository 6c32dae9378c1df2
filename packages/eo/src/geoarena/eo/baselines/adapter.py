"""Random forest and LightGBM baselines behind the ``ModelAdapter`` surface.

Segmentation: one sample per pixel (bands, spectral indices, local texture). Classification: one
sample per chip (band statistics). Hyperparameters are chosen by spatially grouped K-fold CV on
the training split: folds are whole spatial blocks (the chips' block ids), so CV never scores a
pixel whose neighbours were in the training fold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import GroupKFold

from geoarena.core.errors import ConfigError
from geoarena.core.model import FitResult, ModelAdapter, ModelCard
from geoarena.eo.baselines.features import chip_statistics, pixel_features
from geoarena.eo.data.datamodule import IGNORE_INDEX
from geoarena.eo.data.info import raster_info


@dataclass
class ClassicalConfig:
    """Settings of a classical baseline (``--set model_kwargs.<name>=…``).

    Attributes:
        estimator: ``rf`` (scikit-learn RandomForestClassifier) or ``lgbm`` (LightGBM).
        features: ``pixels`` (segmentation) or ``chip_stats`` (classification).
        n_estimators: trees.
        grid: candidate values of the tuned parameter (``max_depth`` for rf, ``num_leaves`` for
            lgbm), chosen by grouped CV.
        cv_folds: spatial folds (0 disables CV and takes ``grid[0]``).
        max_pixels: cap on training pixels (seeded sample) for ``pixels``.
        n_jobs: worker threads.
    """

    estimator: Literal["rf", "lgbm"] = "rf"
    features: Literal["pixels", "chip_stats"] = "pixels"
    n_estimators: int = 40
    grid: tuple[int, ...] = ()
    cv_folds: int = 2
    max_pixels: int = 20_000
    n_jobs: int = 2
    extra: dict[str, Any] = field(default_factory=dict)


def _make_estimator(cfg: ClassicalConfig, tuned: int, seed: int):
    if cfg.estimator == "rf":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=cfg.n_estimators,
            max_depth=tuned,
            min_samples_leaf=2,
            n_jobs=cfg.n_jobs,
            random_state=seed,
            class_weight="balanced_subsample",
        )
    if cfg.estimator == "lgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(
            n_estimators=cfg.n_estimators,
            num_leaves=tuned,
            learning_rate=0.1,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            n_jobs=cfg.n_jobs,
            random_state=seed,
            class_weight="balanced",
            verbose=-1,
        )
    raise ConfigError(f"unknown estimator {cfg.estimator!r}; use rf or lgbm")


def _macro_f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, p, average="macro"))


class ClassicalAdapter(ModelAdapter):
    """Classical baseline; see module docstring."""

    def __init__(self, name: str, **kwargs: Any):
        self.cfg = ClassicalConfig(**kwargs)
        if not self.cfg.grid:
            self.cfg.grid = (8, 16) if self.cfg.estimator == "rf" else (15, 63)
        backbone = {"rf": "random_forest", "lgbm": "lightgbm"}[self.cfg.estimator]
        self.card = ModelCard(
            name=name, backbone=backbone, decoder=self.cfg.features, weights="random"
        )
        self.model = None

    # -- surface -----------------------------------------------------------------------
    def build(self, task, protocol, cfg, data) -> None:
        want = "seg" if self.cfg.features == "pixels" else "cls"
        if task.kind != want:
            raise ConfigError(
                f"{self.card.name} ({self.cfg.features} features) serves {want} tasks, not {task.kind}"
            )
        self.task = task
        self.seed = int(cfg.seed)
        self.num_classes = task.num_classes
        info = raster_info(data, self.card.name)
        self.band_names = info.band_names
        self.mean, self.std = info.mean, info.std
        self.estimator = None
        # for export(): what a served model states about its input
        self.chip_size, self.gsd = info.chip_size, info.gsd or 0.0
        self.input_unit = info.input_unit

    def _features(self, image: np.ndarray) -> np.ndarray:
        if image.ndim == 5:  # (B, T, C, H, W) time series: the per-pixel median composite
            image = np.median(image, axis=1)
        if self.cfg.features == "pixels":
            f = pixel_features(image, self.band_names, self.mean, self.std)
            return f.transpose(0, 2, 3, 1).reshape(-1, f.shape[1])
        return chip_statistics(image, self.band_names, self.mean, self.std)

    def _collect(self, data, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, targets and spatial groups of ``split`` (pixels subsampled, seeded)."""
        groups_of = getattr(getattr(data, "chips", None), "groups", None)
        xs, ys, gs = [], [], []
        rng = np.random.default_rng(self.seed)
        n_chips = max(data.num_samples(split), 1)
        per_chip = None
        seen = 0
        for batch in data.loader(split, 64, shuffle=False):
            img = batch["image"].numpy()
            # without spatial block ids every sample is its own group (plain K-fold)
            idx = batch["index"].numpy() if "index" in batch else np.arange(seen, seen + len(img))
            seen += len(img)
            grp = groups_of[idx] if groups_of is not None else idx
            if self.cfg.features == "pixels":
                y = batch["mask"].numpy().reshape(-1)
                f = self._features(img)
                g = np.repeat(grp, img.shape[-2] * img.shape[-1])
                # only labels of the task's classes train (ignore values differ between datasets)
                keep = np.flatnonzero((y >= 0) & (y < self.num_classes) & (y != IGNORE_INDEX))
                per_chip = per_chip or max(1, self.cfg.max_pixels // n_chips)
                take = min(len(keep), per_chip * len(img))
                keep = rng.choice(keep, size=take, replace=False) if take < len(keep) else keep
                xs.append(f[keep])
                ys.append(y[keep])
                gs.append(g[keep])
            else:
                xs.append(self._features(img))
                ys.append(batch["label"].numpy())
                gs.append(grp)
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(gs)

    def fit(self, data, train, on_epoch) -> FitResult:
        t0 = time.perf_counter()
        x, y, g = self._collect(data, "train")
        self.classes_ = np.unique(y)
        cv_scores: dict[int, float] = {}
        n_groups = len(np.unique(g))
        folds = min(self.cfg.cv_folds, n_groups)
        if folds >= 2 and len(self.cfg.grid) > 1:
            for tuned in self.cfg.grid:
                scores = []
                for tr, va in GroupKFold(n_splits=folds).split(x, y, g):
                    if len(np.unique(y[tr])) < 2:
                        continue
                    est = _make_estimator(self.cfg, tuned, self.seed).fit(x[tr], y[tr])
                    scores.append(_macro_f1(y[va], est.predict(x[va])))
                cv_scores[tuned] = float(np.mean(scores)) if scores else float("nan")
            best = max(cv_scores, key=lambda k: -np.inf if np.isnan(cv_scores[k]) else cv_scores[k])
        else:
            best = self.cfg.grid[0]
        self.tuned = best
        self.estimator = _make_estimator(self.cfg, best, self.seed).fit(x, y)
        metric = self.task.metrics()
        for batch in data.loader("val", 64, shuffle=False):
            metric.update(self.predict(batch), batch)
        val = {f"val/{k}": v for k, v in metric.compute().items()}
        logs = {"train/samples": float(len(y)), "time/fit_s": time.perf_counter() - t0, **val}
        on_epoch(0, logs)
        return FitResult(
            best_epoch=0,
            best_val=val,
            epochs_run=1,
            extra={"tuned_param": best, "cv_macro_f1": cv_scores, "train_samples": len(y)},
        )

    def predict(self, batch: dict[str, Any]) -> np.ndarray:
        """Class probabilities: ``(B, K)`` for chips, ``(B, K, H, W)`` for pixels."""
        if self.estimator is None:
            raise RuntimeError("predict() before fit()")
        img = (
            batch["image"].numpy()
            if hasattr(batch["image"], "numpy")
            else np.asarray(batch["image"])
        )
        proba = self.estimator.predict_proba(self._features(img))
        full = np.zeros((len(proba), self.num_classes), np.float32)
        full[:, self.classes_] = proba
        if self.cfg.features == "pixels":
            b, h, w = img.shape[0], img.shape[-2], img.shape[-1]
            return full.reshape(b, h, w, -1).transpose(0, 3, 1, 2)
        return full

    throughput_unit = "chip"

    def export(self, out_dir: str):
        """Fitted estimator + ModelCard for serving (``geoarena.eo.baselines.export``)."""
        from geoarena.eo.baselines.export import export_classical

        return export_classical(self, out_dir)

    def num_parameters(self) -> int:
        est = self.estimator
        if est is None:
            return 0
        if hasattr(est, "estimators_"):
            return int(sum(t.tree_.node_count for t in est.estimators_))
        return int(est.booster_.num_trees()) if hasattr(est, "booster_") else 0
