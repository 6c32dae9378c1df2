"""The shared PyTorch training loop (EO and point-cloud adapters use it), on Lightning Fabric.

One linear loop (big_vision style): epochs of optimiser steps, validation each epoch through the
adapter's evaluate function, the epoch callback (MLflow logging, Optuna pruning), early stopping
on the monitored validation metric, and restore of the best weights. Fabric supplies the device,
DDP/FSDP under ``torchrun``/``srun`` (see ``geoarena.train.distributed``), mixed precision and
``no_backward_sync`` for gradient accumulation; we launch no processes.

``train.batch_size`` is the global batch of one optimiser step whatever the world size and
accumulation (each rank reads ``batch_size / (world × accumulate)`` samples per micro-batch), so
a config, its hash and its result do not depend on how many processes run it (BatchNorm layers
become SyncBatchNorm under DDP on CUDA; on CPU they keep per-rank statistics). Training metrics
are reduced across ranks; every rank validates on the whole validation split. Inside a
``geoarena.core.checkpoint.checkpointing`` block the loop stores a checkpoint every
``train.checkpoint_every`` epochs and resumes from the store's last one.
"""

from __future__ import annotations

import contextlib
import logging
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from geoarena.core.config import TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.model import EpochCallback, FitResult
from geoarena.core.seeding import resolve_device
from geoarena.core.task import DataModule
from geoarena.train.ema import WeightEMA

StepCallback = Callable[[int, dict[str, float]], None]
log = logging.getLogger(__name__)


def move_to(batch: Any, device: str | torch.device) -> Any:
    """Move every tensor in a (nested) batch to ``device``; other values pass through."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)) and batch and isinstance(batch[0], torch.Tensor):
        return type(batch)(move_to(v, device) for v in batch)
    return batch


def param_groups(
    model: nn.Module, lr: float, lr_mult: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """The trainable parameters of ``model`` as optimizer groups: one at ``lr``, then one per
    ``lr_mult`` entry (parameter-name prefix → multiplier of ``lr``; the first matching prefix
    wins), as mmsegmentation's ``paramwise_cfg`` ``custom_keys`` with ``lr_mult``. Group 0 is
    always the base rate, so ``train/lr`` logs ``train.lr``'s schedule."""
    # a multiplier of 1 is the base group: one group, as before lr_mult existed (resume)
    prefixes = [(pre, m) for pre, m in (lr_mult or {}).items() if m != 1.0]
    groups: list[list[nn.Parameter]] = [[] for _ in range(len(prefixes) + 1)]
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        slot = next((i + 1 for i, (pre, _) in enumerate(prefixes) if name.startswith(pre)), 0)
        groups[slot].append(p)
    names = [n for n, _ in model.named_parameters()]
    for pre, _ in prefixes:  # a frozen encoder leaves its group empty; a typo must not pass
        if not any(n.startswith(pre) for n in names):
            raise ConfigError(f"lr_mult prefix {pre!r} matches no parameter of the model")
    rates = [lr] + [lr * m for _, m in prefixes]
    return [{"params": ps, "lr": r} for ps, r in zip(groups, rates) if ps]


def build_optimizer(
    params: list[nn.Parameter] | list[dict[str, Any]], train: TrainConfig
) -> torch.optim.Optimizer:
    """``train.optimizer`` over ``params`` (tensors, or groups from ``param_groups``)."""
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


def micro_batch_size(train: TrainConfig, world_size: int) -> int:
    """Samples per rank and micro-batch for the global ``train.batch_size``."""
    parts = world_size * max(1, train.accumulate_grad_batches)
    if train.batch_size % parts:
        raise ConfigError(
            f"train.batch_size={train.batch_size} (the global batch) is not divisible by "
            f"world size {world_size} × accumulate_grad_batches {train.accumulate_grad_batches}"
        )
    return train.batch_size // parts


@dataclass
class LoopState:
    """What a resumed fit needs besides model/optimizer/scheduler (checkpointed each epoch)."""

    epoch: int = 0  # the next epoch to run
    step: int = 0
    best_score: float = -math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    best_val: dict[str, float] | None = None


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
        augment: ``batch -> batch`` applied on the device to training batches; ``None`` builds
            it from ``train.augment`` (``geoarena.train.augment``).
        lr_mult: parameter-name prefix → multiple of ``train.lr`` for those parameters
            (e.g. ``{"net.encoder.": 0.1}``: a pretrained encoder fine-tuned at a tenth of the
            decoder's rate); see ``param_groups``.
        ema_decay: > 0 keeps an exponential moving average of the weights (``WeightEMA``):
            validation, the best checkpoint and the returned model use the averaged weights.
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
    augment: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    lr_mult: dict[str, float] = field(default_factory=dict)
    ema_decay: float = 0.0

    def __post_init__(self) -> None:
        from geoarena.train.distributed import world_from_env

        self.device = resolve_device(self.device)
        world = world_from_env()
        if self.device.startswith("cuda") and world.size > 1:
            self.device = f"cuda:{world.local_rank}"  # the rank's device, as Fabric's (any index)
        self.model.to(self.device)
        self.fabric: Any = None
        self._ema: WeightEMA | None = None

    def fit(
        self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback | None = None
    ) -> FitResult:
        """Run up to ``train.epochs`` epochs; returns the best epoch and its validation metrics."""
        from geoarena.core.checkpoint import current_store
        from geoarena.train.augment import augment_on_rank, build_augment
        from geoarena.train.dataloading import settings_for
        from geoarena.train.distributed import conditional_parameters, make_fabric
        from geoarena.train.loop_checkpoint import resume_loop, save_loop
        from geoarena.train.sharded import (
            fsdp_units,
            repeated_blocks,
            restore_best,
            save_best,
            whole_parameters,
        )

        blocks = repeated_blocks(self.model) if train.strategy == "fsdp" else frozenset()
        find_unused = conditional_parameters(self.model)
        fabric = self.fabric = make_fabric(train, self.device, find_unused, blocks)
        micro = micro_batch_size(train, fabric.world_size)
        accum = max(1, train.accumulate_grad_batches)
        if hasattr(data, "configure_loading"):
            data.configure_loading(
                settings_for(train.num_workers, train.prefetch_factor, self.device)
            )
        opt = build_optimizer(param_groups(self.model, train.lr, self.lr_mult), train)
        n_train = data.num_samples("train")
        steps = math.ceil(n_train / train.batch_size) if n_train > 0 else 1
        if train.max_steps_per_epoch:
            steps = min(steps, train.max_steps_per_epoch)
        sched = build_scheduler(opt, train, steps)
        if fabric.world_size > 1 and _has_batchnorm(self.model):
            if str(fabric.device).startswith("cuda") and train.strategy != "fsdp":
                # batch statistics over the global batch, as in one process (in place: the
                # adapter's reference to the model stays valid)
                torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            else:
                log.warning(
                    "BatchNorm under DDP on CPU keeps per-rank batch statistics "
                    "(SyncBatchNorm needs CUDA): results differ from one process"
                )
        module = torch.compile(self.model) if train.compile else self.model
        fmodel, fopt = fabric.setup(module, opt)
        ema = self._ema = self._make_ema(train)
        augment = self.augment or build_augment(train.augment)
        sign = 1.0 if self.direction == "maximize" else -1.0
        st = LoopState()
        store = current_store() if train.checkpoint_every > 0 else None
        result = FitResult()
        if units := fsdp_units(fmodel):  # counted now: the end of the fit takes them apart
            result.extra["fsdp_units"] = units
        with tempfile.TemporaryDirectory(prefix="geoarena-ckpt-") as tmp:
            best_file = Path(tmp) / "best.pt"
            if store is not None:
                resume_loop(fabric, store, Path(tmp), fmodel, fopt, sched, st, best_file, self._ema)
                result.extra["resumed_at_epoch"] = st.epoch
            for epoch in range(st.epoch, train.epochs):
                if hasattr(data, "set_epoch"):
                    data.set_epoch(epoch)
                fmodel.train()
                t0 = time.perf_counter()
                loss_sum = torch.zeros((), dtype=torch.float64, device=fabric.device)
                n_seen, taken, last_micro = 0, 0, True
                batches = data.loader("train", micro, shuffle=True)
                n_batches = len(batches) if hasattr(batches, "__len__") else -1
                for i, batch in enumerate(batches):
                    if train.max_steps_per_epoch and i // accum >= train.max_steps_per_epoch:
                        break
                    batch = move_to(batch, fabric.device)
                    if augment is not None:
                        batch = augment_on_rank(augment, batch, fabric)
                    last_micro = (i + 1) % accum == 0 or i + 1 == n_batches
                    with fabric.no_backward_sync(fmodel, enabled=not last_micro):
                        out = fmodel(self.inputs(batch))
                        loss = self.loss_fn(out, batch)
                        fabric.backward(loss / accum)
                    bs = _batch_size(batch)
                    loss_sum += loss.detach().double() * bs
                    n_seen += bs
                    taken += 1
                    if last_micro:
                        if train.grad_clip:
                            fabric.clip_gradients(fmodel, fopt, max_norm=train.grad_clip)
                        fopt.step()
                        fopt.zero_grad(set_to_none=True)
                        sched.step()
                        st.step += 1
                        if ema is not None:
                            ema.update(self.model)
                        if self.on_step is not None and st.step % self.log_every == 0:
                            self._check_finite(loss, epoch, i)
                            self.on_step(st.step, {"train/loss_step": loss.item()})
                if taken % accum and not last_micro:  # a loader without len(): flush the rest
                    fopt.step()
                    fopt.zero_grad(set_to_none=True)
                    sched.step()
                    st.step += 1
                    if ema is not None:
                        ema.update(self.model)
                # reading the sum waits for the GPU's queued kernels: the epoch's time is the
                # time its work took, not the time it took to launch it
                loss_total = float(loss_sum)
                train_time = time.perf_counter() - t0
                totals = _reduce_sum(fabric, {"loss": loss_total, "n": float(n_seen)})
                mean_loss = totals["loss"] / max(1.0, totals["n"])
                if not math.isfinite(mean_loss):
                    raise FloatingPointError(f"training loss became {mean_loss} in epoch {epoch}")
                fmodel.eval()
                # with an EMA, validation and the best checkpoint see the averaged weights;
                # under FSDP the adapter's model validates with its parameters gathered
                with torch.no_grad(), ema.applied(self.model) if ema else contextlib.nullcontext():
                    with whole_parameters(fmodel):
                        val = self.evaluate()
                    if fabric.world_size > 1:  # rank 0's figures: one stop/best decision for all
                        val = fabric.broadcast(val, src=0)
                    if self.monitor not in val:
                        raise KeyError(f"monitored metric {self.monitor!r} not among {sorted(val)}")
                    score = sign * val[self.monitor]
                    improved = score > st.best_score
                    if improved:
                        save_best(fmodel, self.model, best_file)
                metrics = {
                    "train/loss": mean_loss,
                    "train/lr": fopt.param_groups[0]["lr"],
                    "time/epoch_s": train_time,
                    "time/train_samples_per_s": totals["n"] / max(train_time, 1e-9),
                    **val,
                }
                result.epochs_run = epoch + 1
                if improved:
                    st.best_score, st.best_epoch, st.best_val = score, epoch, dict(val)
                    st.bad_epochs = 0
                else:
                    st.bad_epochs += 1
                st.epoch = epoch + 1
                stop = bool(
                    train.early_stop_patience and st.bad_epochs >= train.early_stop_patience
                )
                if on_epoch is not None:
                    on_epoch(epoch, metrics)  # may raise Pruned
                # after the hook, so that the checkpoint's flush also stores this epoch's metrics
                if store is not None and (st.epoch % train.checkpoint_every == 0 or stop):
                    save_loop(
                        fabric, store, Path(tmp), fmodel, fopt, sched, st, best_file, self._ema
                    )
                if stop:
                    break
            restore_best(fabric, fmodel, self.model, best_file)
        self.model.eval()
        result.best_epoch, result.best_val = st.best_epoch, st.best_val or {}
        result.extra["world_size"] = fabric.world_size
        return result

    def _make_ema(self, train: TrainConfig) -> WeightEMA | None:
        if not self.ema_decay:
            return None
        if train.strategy == "fsdp":  # a sharded model has no whole state_dict to average
            raise ConfigError("an EMA of the weights (ema_decay) is not kept under FSDP")
        return WeightEMA(self.model, self.ema_decay)

    @staticmethod
    def _check_finite(loss: torch.Tensor, epoch: int, i: int) -> None:
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch} step {i}")


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _reduce_sum(fabric: Any, values: dict[str, Any]) -> dict[str, float]:
    from geoarena.train.distributed import reduce_sum

    return reduce_sum(fabric, {k: float(v) for k, v in values.items()})


def _batch_size(batch: dict[str, Any]) -> int:
    for v in batch.values():
        if isinstance(v, torch.Tensor) and v.ndim > 0:
            return int(v.shape[0])
        if isinstance(v, list):
            return len(v)
    return 1
