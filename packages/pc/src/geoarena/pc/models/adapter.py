"""``ModelAdapter`` for the point networks: training on crops with the shared ``TorchFitLoop``,
prediction on arbitrary-size tiles by covering them with crops and merging softmax votes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F

from geoarena.core.errors import ConfigError
from geoarena.core.model import FitResult, ModelAdapter, ModelCard
from geoarena.pc.asprs import IGNORE
from geoarena.pc.info import PointCloudInfo
from geoarena.pc.models.pointnet2 import PointNet2
from geoarena.pc.models.pyramid import build_pyramid
from geoarena.pc.models.randla import RandLANet
from geoarena.pc.serving_context import serving_context


@dataclass(frozen=True)
class PointNetConfig:
    """Architecture and inference settings.

    Attributes:
        arch: ``randla`` or ``pointnet2``.
        widths: channels per encoder level (4 levels, ÷4 points each).
        k: neighbours per point.
        crop_points: points per crop at inference (training crops come from the data).
        infer_batch: crops per forward pass at inference.
        class_weight_power: loss weight per class = frequency ** -power (0: plain CE).
    """

    arch: Literal["randla", "pointnet2"] = "randla"
    widths: tuple[int, ...] = (16, 32, 64, 128)
    k: int = 16
    crop_points: int = 2048
    infer_batch: int = 8
    class_weight_power: float = 0.25


def build_network(cfg: PointNetConfig, in_features: int, num_classes: int) -> torch.nn.Module:
    if cfg.arch == "randla":
        return RandLANet(in_features, num_classes, widths=cfg.widths, k=cfg.k)
    if cfg.arch == "pointnet2":
        return PointNet2(in_features, num_classes, widths=cfg.widths, k=cfg.k)
    raise ValueError(f"unknown arch {cfg.arch!r}")


class PointNetAdapter(ModelAdapter):
    """RandLA-Net-style or PointNet++-style segmentation of a ``CloudDataModule``'s points."""

    def __init__(self, **kwargs: Any):
        for key in ("widths",):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        self.cfg = PointNetConfig(**kwargs)
        self.card = ModelCard(
            name=f"pc/{self.cfg.arch}",
            backbone=self.cfg.arch,
            decoder="nearest-upsampling" if self.cfg.arch == "randla" else "feature-propagation",
            input_unit="metres + zscored geometric features",
            extra={"k": self.cfg.k, "widths": self.cfg.widths},
        )
        self.model: torch.nn.Module | None = None
        self.device = "cpu"

    # -- build / fit ---------------------------------------------------------------------------
    def build(self, task, protocol, cfg, data) -> None:
        from geoarena.core.seeding import resolve_device

        self.task = task
        self.num_classes = task.num_classes
        self.device = resolve_device(cfg.device)
        info = data.info
        if not isinstance(info, PointCloudInfo):
            raise ConfigError(
                f"{self.card.name} reads point clouds (PointCloudInfo); task {task.name}'s data "
                f"info is {type(info).__name__}"
            )
        self.in_features = info.in_chans  # export() rebuilds the network from it
        self.model = build_network(self.cfg, self.in_features, task.num_classes)
        self.serving = serving_context(data)  # class map + features for export()
        self.mean = torch.tensor(info.mean, dtype=torch.float32)
        self.std = torch.tensor(info.std, dtype=torch.float32)
        counts = np.bincount(data.labels[data.train_mask], minlength=task.num_classes).astype(
            np.float64
        )
        freq = counts / max(counts.sum(), 1)
        w = np.zeros_like(freq)  # a class absent from training gets weight 0
        w[counts > 0] = freq[counts > 0] ** -self.cfg.class_weight_power
        self.class_weight = torch.tensor(w / w[counts > 0].mean(), dtype=torch.float32)

    def restore(
        self, in_features: int, num_classes: int, norm: dict[str, Any], state: dict[str, Any]
    ) -> None:
        """The fitted network of an export (``geoarena.pc.persist``), on CPU: rebuilt from the
        settings, then ``state`` (a ``weights_only`` state dict) loaded; ``norm`` holds the
        feature ``mean`` and ``std``."""
        self.num_classes, self.in_features = int(num_classes), int(in_features)
        self.mean = torch.tensor(norm["mean"], dtype=torch.float32)
        self.std = torch.tensor(norm["std"], dtype=torch.float32)
        self.model = build_network(self.cfg, self.in_features, self.num_classes)
        self.model.load_state_dict(state)
        self.model.eval()

    def inputs(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Centre each crop, standardise features, build the KD-tree pyramid."""
        pts = batch["points"]
        xyz = pts - pts.mean(dim=1, keepdim=True)
        feats = (batch["features"] - self.mean.to(pts.device)) / self.std.to(pts.device)
        return {"xyz": xyz, "features": feats, "pyramid": build_pyramid(pts, self.model.spec)}

    def loss(self, logits: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        return F.cross_entropy(
            logits,
            batch["point_labels"],
            weight=self.class_weight.to(logits.device),
            ignore_index=IGNORE,
        )

    def fit(self, data, train, on_epoch) -> FitResult:
        from geoarena.core.evaluation import evaluate_split
        from geoarena.train.fit_loop import TorchFitLoop

        metric = self.task.metrics()
        present = [
            name
            for name, count in zip(
                self.task.class_names,
                np.bincount(data.labels[data.split_mask("val")], minlength=self.num_classes),
            )
            if count > 0
        ]

        def evaluate() -> dict[str, float]:
            val = evaluate_split(self.predict, data, "val", metric, 1)
            ious = [val[f"val/iou/{c}"] for c in present if f"val/iou/{c}" in val]
            val["val/miou_present"] = float(np.mean(ious)) if ious else val["val/miou"]
            return val

        # model selection on the mIoU of the classes the validation stripe holds: a rare class
        # absent from it (the one bridge, the one building) scores IoU 0 as soon as the network
        # predicts it anywhere, which made plain mIoU pick barely trained early epochs
        loop = TorchFitLoop(
            self.model,
            self.loss,
            evaluate=evaluate,
            monitor="val/miou_present",
            direction=self.task.direction,
            inputs=self.inputs,
            device=self.device,
        )
        return loop.fit(data, train, on_epoch)

    # -- prediction ----------------------------------------------------------------------------
    @torch.no_grad()
    def predict_proba(
        self, points: np.ndarray, features: np.ndarray, n_target: int | None = None
    ) -> np.ndarray:
        """Class probabilities ``(M, C)`` for a tile of any size: crops of ``crop_points``
        nearest points (plan view) around a not yet covered point until every target point
        (the first ``n_target``, default all; the rest is context) has a vote; overlapping
        crops' softmax outputs are summed (vote merging)."""
        from scipy.spatial import cKDTree

        assert self.model is not None, "build() first"
        self.model.eval()
        m = len(points)
        k = min(self.cfg.crop_points, m)
        tree = cKDTree(points[:, :2])
        votes = np.zeros((m, self.num_classes), np.float32)
        covered = np.zeros(m, np.int32)
        rng = np.random.default_rng(0)
        n_target = m if n_target is None else n_target
        while covered[:n_target].min() == 0:
            crops = []
            for _ in range(self.cfg.infer_batch):
                free = np.flatnonzero(covered[:n_target] == 0)
                if free.size == 0:
                    break
                _, nn = tree.query(points[free[0], :2], k=k)
                nn = rng.permutation(np.atleast_1d(nn))
                covered[nn] += 1
                crops.append(nn)
            idx = np.stack(crops)
            batch = {
                "points": torch.from_numpy(points[idx].astype(np.float32)).to(self.device),
                "features": torch.from_numpy(features[idx].astype(np.float32)).to(self.device),
            }
            prob = (
                torch.softmax(self.model(self.inputs(batch)), dim=1).transpose(1, 2).cpu().numpy()
            )
            np.add.at(votes, idx.reshape(-1), prob.reshape(-1, prob.shape[-1]))
        return votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-12)

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

    def predict(self, batch: dict[str, Any]) -> torch.Tensor:
        out = []
        for pts, feats in zip(batch["points"], batch["features"]):
            prob = self.predict_proba(pts.cpu().numpy(), feats.cpu().numpy())
            out.append(prob.argmax(axis=1))
        return torch.from_numpy(np.stack(out).astype(np.int64))
