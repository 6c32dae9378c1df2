"""Decision threshold of a two-class model chosen on the validation split.

A network trained with a class-weighted loss (``train.loss=weighted_ce``: the rare class weighs
~10× more) learns probabilities shifted towards the rare class, so its argmax over-predicts it.
``model_kwargs={"calibrate": "val"}`` moves the decision threshold after training: a shift ``b``
of the positive class's logit (equivalently, a threshold ``sigmoid(-b)`` on its probability) is
chosen from a fixed grid to maximise the task's own monitored metric on the **validation**
split, then folded into the bias of the network's last (1×1 conv or linear) layer. Every later
prediction — test split, export, served model — carries it, and the shift is exact there:
a constant added to the logits survives the bilinear resize to the input size.

This is sklearn's ``TunedThresholdClassifierCV`` idea on the harness's own validation split;
the test split is never looked at. With ``tta="d4"`` the shift is chosen on the D4-averaged
outputs and then applied inside each view (close, not identical; the figures reported are the
real predictions of the folded network).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from geoarena.core.errors import ConfigError

#: logit shifts tried (log-odds; 0 is the plain argmax), finest near 0
SHIFT_GRID = tuple(round(x * 0.25, 2) for x in range(-16, 17))


def last_layer(net: nn.Module) -> nn.Conv2d | nn.Linear:
    """The layer whose bias is the logits' bias: a decoder's 1×1 ``classifier`` conv or a
    classification head's final ``Linear``."""
    decoder = getattr(net, "decoder", None)
    layer = getattr(decoder, "classifier", None)
    if layer is None and isinstance(getattr(net, "head", None), nn.Sequential):
        layer = net.head[-1]
    if not isinstance(layer, nn.Conv2d | nn.Linear) or layer.bias is None:
        raise ConfigError(
            "calibrate='val' needs a final 1×1 conv or linear layer with a bias "
            f"(this network's is {type(layer).__name__})"
        )
    return layer


def choose_shift(
    outputs: list[torch.Tensor],
    targets: list[dict[str, Any]],
    metric: Any,
    monitor: str,
    direction: str,
) -> tuple[float, dict[str, float], dict[str, float]]:
    """The grid shift of class 1's logit that gives the best ``monitor`` value over the cached
    ``outputs`` (logits) and their ``targets``; ties go to the shift nearest 0.

    Returns ``(shift, metric values at shift, metric values at 0)``."""
    sign = 1.0 if direction == "maximize" else -1.0
    values: dict[float, dict[str, float]] = {}
    for shift in SHIFT_GRID:
        metric.reset()
        for out, tgt in zip(outputs, targets):
            shifted = out.clone()
            shifted[:, 1] += shift
            metric.update(shifted, tgt)
        values[shift] = {k: float(v) for k, v in metric.compute().items()}
    best = max(SHIFT_GRID, key=lambda s: (sign * values[s][monitor], -abs(s)))
    return best, values[best], values[0.0]


def calibrate_on_val(
    predict: Callable[[dict[str, Any]], torch.Tensor],
    net: nn.Module,
    data: Any,
    metric: Any,
    monitor: str,
    direction: str,
    batch_size: int,
) -> dict[str, float]:
    """Choose the shift on the validation split's predictions and fold it into ``net``'s last
    layer. ``monitor`` is the metric's own key (``miou``), as ``metric.compute()`` names it.
    Returns what to log: the shift, the implied probability threshold and every validation
    metric at shift 0 (``calibrate/val_before/…``) and at the chosen shift."""
    layer = last_layer(net)
    n_out = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
    if n_out != 2:
        raise ConfigError("calibrate='val' is for two-class tasks (one decision threshold)")
    outputs, targets = [], []
    for batch in data.loader("val", batch_size, shuffle=False):
        outputs.append(predict(batch))
        targets.append({k: v for k, v in batch.items() if k != "image"})
    if not outputs:
        raise ConfigError("calibrate='val' needs a validation split with samples")
    shift, after, before = choose_shift(outputs, targets, metric, monitor, direction)
    with torch.no_grad():
        layer.bias[1] += shift
    return {
        "calibrate/logit_shift": shift,
        "calibrate/threshold": float(torch.sigmoid(torch.tensor(-shift))),
        **{f"calibrate/val_before/{k}": v for k, v in before.items()},
        **{f"calibrate/val_chosen/{k}": v for k, v in after.items()},
    }
