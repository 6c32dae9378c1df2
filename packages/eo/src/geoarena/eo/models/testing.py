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
from geoarena.eo.data.info import RasterInfo

S2_13 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
HLS_6 = ("blue", "green", "red", "nir08", "swir1", "swir2")
RGB_3 = ("red", "green", "blue")


class TinyEOData(DataModule):
    """Synthetic chips: ``n`` per split, ``bands`` channels, optional ``timesteps`` (5-D
    ``(B, T, C, H, W)`` images plus ``temporal_coords``/``location_coords``).

    Labels: cls — which quarter of the chip is brightest in band 0 (4 classes); multilabel —
    which quarters are brighter than the chip mean; seg — pixel of band 0 above 0 (2 classes).
    """

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return self.info.describe()

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
        self.info = RasterInfo(
            band_names=bands,
            input_unit="zscore",
            normalization="synthetic_standard_normal",
            chip_size=size,
            n_time_steps=max(timesteps, 1),
            ignore_index=255 if kind == "seg" else None,
        )

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
            # acquisition dates (one per time step) and location, as metadata-aware encoders
            # expect them; single-date chips carry one date
            b, t = batch["image"].shape[0], max(self.timesteps, 1)
            years = torch.full((b, t), 2020.0)
            doys = torch.linspace(10, 300, t).expand(b, -1)
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
        modality="eo",
    )


def trainable_snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Copies of every parameter and buffer (to compare before/after a training step)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed_keys(before: dict[str, torch.Tensor], model: torch.nn.Module) -> set[str]:
    """State-dict keys whose values differ from ``before``."""
    after = model.state_dict()
    return {k for k, v in before.items() if k in after and not torch.equal(v, after[k])}


def one_training_step(adapter: Any, batch: dict[str, Any], lr: float = 1e-2) -> torch.Tensor:
    """One AdamW step (with weight decay, so frozen parameters would move if they were
    handed to the optimiser) on ``batch``; returns the loss."""
    model = adapter.model
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.1)
    out = model(batch)
    loss = adapter.loss(out, batch)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def check_adapter_contract(
    adapter: Any,
    protocol: Any,
    kind: str = "seg",
    bands: tuple[str, ...] = RGB_3,
    size: int = 32,
    timesteps: int = 0,
) -> dict[str, Any]:
    """Build ``adapter`` on tiny data and assert the model contract; returns facts for further
    assertions. Checks: prediction shape; every trainable parameter gets a finite gradient;
    after one optimiser step frozen parameters and frozen BatchNorm statistics are unchanged
    while trainable ones moved; the protocol left something trainable and (unless it is a full
    fine-tune) froze something."""
    from geoarena.core.config import RunConfig

    task = tiny_task(kind, bands, size, timesteps)
    data = TinyEOData(kind, bands, size, n=2, timesteps=timesteps)
    data.setup()
    adapter.build(task, protocol, RunConfig(device="cpu"), data)
    adapter.ignore_index = data.info.ignore_index
    model = adapter.model
    batch = next(iter(data.loader("train", 2)))
    n_cls = task.num_classes
    expected = (2, n_cls, size, size) if kind == "seg" else (2, n_cls)
    pred = adapter.predict(batch)
    assert tuple(pred.shape) == expected, f"prediction {tuple(pred.shape)} != {expected}"
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert trainable, "protocol left nothing trainable"
    if protocol.freeze != "none" or protocol.lora_rank:
        assert frozen, f"protocol {protocol.name} froze nothing"
    before = trainable_snapshot(model)
    loss = one_training_step(adapter, batch)
    assert torch.isfinite(loss), f"loss {loss}"
    missing_grad = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())
    ]
    assert not missing_grad, f"trainable parameters without a finite gradient: {missing_grad[:5]}"
    changed = changed_keys(before, model)
    moved_frozen = sorted(k for k in changed if k in frozen)
    assert not moved_frozen, f"frozen parameters changed: {moved_frozen[:5]}"
    frozen_modules = {n.rsplit(".", 1)[0] for n in frozen}
    drifted_stats = sorted(
        k
        for k in changed
        if k.rsplit(".", 1)[-1] in ("running_mean", "running_var")
        and k.rsplit(".", 1)[0] in frozen_modules
    )
    assert not drifted_stats, f"BatchNorm statistics of frozen layers changed: {drifted_stats[:5]}"
    assert changed & trainable, "no trainable parameter changed after a step"
    return {
        "trainable": trainable,
        "frozen": frozen,
        "changed": changed,
        "pred_shape": tuple(pred.shape),
    }
