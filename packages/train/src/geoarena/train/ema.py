"""An exponential moving average of a model's weights, as timm's ``ModelEmaV3`` and
ultralytics' ``ModelEMA`` keep one: validation sees the averaged weights and the best
checkpoint keeps them, while the optimiser goes on stepping the raw ones.

On a small task the raw weights swing from step to step (a few batches per epoch, strong
augmentation); their average over the last ~``1 / (1 - decay)`` steps is a smoother, usually
better network — the same idea as stochastic weight averaging, applied every step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightEMA:
    """``shadow ← d · shadow + (1 − d) · weights`` after every optimiser step, for every
    floating-point parameter and buffer (BatchNorm statistics too); integer buffers are copied.
    ``d = min(decay, (1 + n) / (10 + n))`` after ``n`` updates (the ``num_updates`` warmup of
    TensorFlow's ExponentialMovingAverage), so the first steps' random-init weights do not
    dominate a short run.

    Args:
        model: the network being trained (its ``state_dict`` keys are the shadow's).
        decay: the long-run decay, in (0, 1).
    """

    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay {decay}: must lie in (0, 1)")
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the model's current weights into the average (after ``optimizer.step()``)."""
        d = self.current_decay()
        for k, v in model.state_dict().items():
            avg = self.shadow[k]
            if avg.is_floating_point():
                avg.lerp_(v.detach().to(avg.dtype), 1.0 - d)
            else:
                avg.copy_(v)
        self.updates += 1

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """Inside the block ``model`` holds the averaged weights; its own come back after."""
        own = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.shadow)
        try:
            yield
        finally:
            model.load_state_dict(own)

    def state_dict(self) -> dict[str, object]:
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.updates = int(state["updates"])  # type: ignore[arg-type]
        for k, v in state["shadow"].items():  # type: ignore[union-attr]
            self.shadow[k].copy_(v)
