"""Reusable contract checks for EO model adapters (optuna.testing style).

``TinyEOData`` is a small, seeded, *synthetic* DataModule whose label is a simple function of
the pixels (so a few optimiser steps measurably reduce the loss); it exists to exercise model
mechanics — shapes, gradients, freezing, band adaptation — never to report a benchmark number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from geoarena.core.metrics import ConfusionMatrixMetric, MultilabelF1
from geoarena.core.task import DataModule, Task

S2_13 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
HLS_6 = ("blue", "green", "red", "nir08", "swir1", "swir2")
RGB_3 = ("red", "green", "blue")


class TinyEOData(DataModule):
    """Synthetic chips: ``n`` per split, ``bands`` channels, optional ``timesteps`` (5-D
    ``(B, T, C, H, W)`` images plus ``temporal_coords``/``location_coords``).

    Labels: cls — which quarter of the chip is brightest in band 0 (4 classes); multilabel —
    which quarters are brighter than the chip mean; seg — pixel of band 0 above 0 (2 classes).
    """

    def __init__(
        self,
        kind: str,
        bands: tuple[str, ...] = RGB_3,
        size: int = 32,
        n: int = 8,
        timesteps: int = 0,
        seed: int = 0,
    ):
        self.kind = kind
        self.bands = bands
        self.size = size
        self.n = n
        self.timesteps = timesteps
        rng = np.random.default_rng(seed)
        shape = (
            (3 * n, timesteps, len(bands), size, size)
            if timesteps
            else (3 * n, len(bands), size, size)
        )
        self.images = rng.standard_normal(shape).astype(np.float32)
        ref = self.images[:, 0, 0] if timesteps else self.images[:, 0]
        h = size // 2
        quarters = np.stack(
            [
                ref[:, :h, :h].mean((1, 2)),
                ref[:, :h, h:].mean((1, 2)),
                ref[:, h:, :h].mean((1, 2)),
                ref[:, h:, h:].mean((1, 2)),
            ],
            1,
        )
        if kind == "cls":
            self.targets = quarters.argmax(1).astype(np.int64)
        elif kind == "multilabel":
            self.targets = (quarters > quarters.mean(1, keepdims=True)).astype(np.float32)
        else:
            self.targets = (ref > 0).astype(np.int64)
        self.info = {
            "band_names": bands,
            "in_chans": len(bands),
            "chip_size": size,
            "input_unit": "zscore",
            "normalization": "synthetic_standard_normal",
            "ignore_index": 255 if kind == "seg" else None,
        }

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        self.seed = seed

    def num_samples(self, split: str) -> int:
        return self.n

    def loader(
        self, split: str, batch_size: int, shuffle: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        offset = {"train": 0, "val": 1, "test": 2}[split] * self.n
        key = "mask" if self.kind == "seg" else "label"
        for start in range(0, self.n, batch_size):
            sl = slice(offset + start, offset + min(start + batch_size, self.n))
            batch: dict[str, Any] = {
                "image": torch.from_numpy(self.images[sl]),
                key: torch.from_numpy(self.targets[sl]),
            }
            if self.timesteps:
                b = batch["image"].shape[0]
                years = torch.full((b, self.timesteps), 2020.0)
                doys = torch.linspace(10, 300, self.timesteps).expand(b, -1)
                batch["temporal_coords"] = torch.stack([years, doys], -1)
                batch["location_coords"] = torch.tensor([[40.0, -100.0]]).expand(b, -1).clone()
            yield batch


def tiny_task(
    kind: str, bands: tuple[str, ...] = RGB_3, size: int = 32, timesteps: int = 0
) -> Task:
    """A ``Task`` over ``TinyEOData`` (4 classes for cls/multilabel, 2 for seg)."""
    n_classes = 2 if kind == "seg" else 4
    if kind == "multilabel":
        metrics, metric = (lambda: MultilabelF1(n_classes)), "f1_micro"
    else:
        target = "mask" if kind == "seg" else "label"
        metrics = lambda: ConfusionMatrixMetric(n_classes, target_key=target, ignore_index=255)  # noqa: E731
        metric = "miou" if kind == "seg" else "overall_accuracy"
    return Task(
        name=f"eo/tiny-{kind}",
        kind=kind,  # type: ignore[arg-type]
        datamodule=lambda ctx: TinyEOData(kind, bands, size, timesteps=timesteps),
        metrics=metrics,
        metric=metric,
        num_classes=n_classes,
        bands=bands,
        modality="eo",
    )


def trainable_snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Copies of every parameter and buffer (to compare before/after a training step)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed_keys(before: dict[str, torch.Tensor], model: torch.nn.Module) -> set[str]:
    """State-dict keys whose values differ from ``before``."""
    after = model.state_dict()
    return {k for k, v in before.items() if k in after and not torch.equal(v, after[k])}
