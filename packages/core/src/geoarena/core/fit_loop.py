"""The shared plain-PyTorch training loop (EO and point-cloud adapters use it).

One linear loop (big_vision style): epochs of optimiser steps, validation each epoch through the
adapter's evaluate function, the epoch callback (MLflow logging, Optuna pruning), early stopping
on the monitored validation metric, and restore of the best checkpoint. Checkpoints are plain
state dicts, written to disk and read back with ``weights_only=True``.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from geoarena.core.config import TrainConfig
from geoarena.core.model import EpochCallback, FitResult
from geoarena.core.seeding import resolve_device
from geoarena.core.task import DataModule

StepCallback = Callable[[int, dict[str, float]], None]


def move_to(batch: Any, device: str | torch.device) -> Any:
    """Move every tensor in a (nested) batch to ``device``; other values pass through."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)) and batch and isinstance(batch[0], torch.Tensor):
        return type(batch)(move_to(v, device) for v in batch)
    return batch


def build_optimizer(params: list[nn.Parameter], train: TrainConfig) -> torch.optim.Optimizer:
    if not params:
        raise ValueError(
            "no trainable parameters: the protocol froze everything, including the head"
        )
    if train.optimizer == "sgd":
        return torch.optim.SGD(params, lr=train.lr, momentum=0.9, weight_decay=train.weight_decay)
    if train.optimizer == "adam":
        return torch.optim.Adam(params, lr=train.lr, weight_decay=train.weight_decay)
    return torch.optim.AdamW(params, lr=train.lr, weight_decay=train.weight_decay)


def build_scheduler(opt: torch.optim.Optimizer, train: TrainConfig, steps_per_epoch: int):
    total = max(1, train.epochs * steps_per_epoch)
    warmup = train.warmup_epochs * steps_per_epoch

    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if train.scheduler == "cosine":
            progress = (step - warmup) / max(1, total - warmup)
            return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        if train.scheduler == "step":
            return 0.1 ** int(3 * step / total)
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


@dataclass
class TorchFitLoop:
    """Train ``model`` with ``loss_fn(outputs, batch)`` on ``inputs(batch)``.

    Args:
        model: the full network (frozen parts already have ``requires_grad=False``).
        loss_fn: ``(outputs, batch) -> scalar tensor``; batch tensors are on the device.
        inputs: ``batch -> model input`` (default ``batch["image"]``).
        evaluate: ``() -> {"val/<m>": …}``; called after each epoch with the model in eval mode.
        monitor: validation key for early stopping and best checkpoint, e.g. ``val/miou``.
        direction: ``maximize`` or ``minimize``.
        device: ``auto``, ``cpu``, ``cuda``…
        on_step: optional ``(global_step, {"train/loss_step": …})`` every ``log_every`` steps.
    """

    model: nn.Module
    loss_fn: Callable[[Any, dict[str, Any]], torch.Tensor]
    evaluate: Callable[[], dict[str, float]]
    monitor: str
    direction: str = "maximize"
    inputs: Callable[[dict[str, Any]], Any] = lambda batch: batch["image"]
    device: str = "auto"
    on_step: StepCallback | None = None
    log_every: int = 10

    def __post_init__(self) -> None:
        self.device = resolve_device(self.device)
        self.model.to(self.device)

    def _autocast(self, train: TrainConfig):
        if train.amp and self.device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            return torch.autocast("cuda", dtype=dtype)
        return torch.autocast("cpu", enabled=False)

    def fit(
        self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback | None = None
    ) -> FitResult:
        """Run up to ``train.epochs`` epochs; returns the best epoch and its validation metrics."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        opt = build_optimizer(params, train)
        n_train = data.num_samples("train")
        steps = math.ceil(n_train / train.batch_size) if n_train > 0 else 1
        if train.max_steps_per_epoch:
            steps = min(steps, train.max_steps_per_epoch)
        sched = build_scheduler(opt, train, steps)
        use_scaler = (
            train.amp and self.device.startswith("cuda") and not torch.cuda.is_bf16_supported()
        )
        scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
        sign = 1.0 if self.direction == "maximize" else -1.0
        best_score, best_epoch, best_val, bad_epochs = -math.inf, -1, {}, 0
        result = FitResult()
        step = 0
        with tempfile.TemporaryDirectory(prefix="geoarena-ckpt-") as tmp:
            ckpt = Path(tmp) / "best.pt"
            for epoch in range(train.epochs):
                self.model.train()
                t0 = time.perf_counter()
                loss_sum, n_seen = 0.0, 0
                for i, batch in enumerate(data.loader("train", train.batch_size, shuffle=True)):
                    if train.max_steps_per_epoch and i >= train.max_steps_per_epoch:
                        break
                    batch = move_to(batch, self.device)
                    with self._autocast(train):
                        out = self.model(self.inputs(batch))
                        loss = self.loss_fn(out, batch)
                    if not torch.isfinite(loss):
                        raise FloatingPointError(
                            f"loss became {loss.item()} at epoch {epoch} step {i}"
                        )
                    opt.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    if train.grad_clip:
                        scaler.unscale_(opt)
                        nn.utils.clip_grad_norm_(params, train.grad_clip)
                    scaler.step(opt)
                    scaler.update()
                    sched.step()
                    bs = _batch_size(batch)
                    loss_sum += loss.item() * bs
                    n_seen += bs
                    step += 1
                    if self.on_step is not None and step % self.log_every == 0:
                        self.on_step(step, {"train/loss_step": loss.item()})
                train_time = time.perf_counter() - t0
                self.model.eval()
                with torch.no_grad():
                    val = self.evaluate()
                metrics = {
                    "train/loss": loss_sum / max(1, n_seen),
                    "train/lr": opt.param_groups[0]["lr"],
                    "time/epoch_s": train_time,
                    "time/train_samples_per_s": n_seen / max(train_time, 1e-9),
                    **val,
                }
                result.epochs_run = epoch + 1
                if self.monitor not in val:
                    raise KeyError(f"monitored metric {self.monitor!r} not among {sorted(val)}")
                score = sign * val[self.monitor]
                if score > best_score:
                    best_score, best_epoch, best_val, bad_epochs = score, epoch, dict(val), 0
                    torch.save(self.model.state_dict(), ckpt)
                else:
                    bad_epochs += 1
                if on_epoch is not None:
                    on_epoch(epoch, metrics)  # may raise Pruned
                if train.early_stop_patience and bad_epochs >= train.early_stop_patience:
                    break
            if ckpt.exists():
                state = torch.load(ckpt, map_location=self.device, weights_only=True)
                self.model.load_state_dict(state)
        self.model.eval()
        result.best_epoch, result.best_val = best_epoch, best_val
        return result


def _batch_size(batch: dict[str, Any]) -> int:
    for v in batch.values():
        if isinstance(v, torch.Tensor) and v.ndim > 0:
            return int(v.shape[0])
        if isinstance(v, list):
            return len(v)
    return 1
