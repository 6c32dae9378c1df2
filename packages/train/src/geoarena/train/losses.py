"""Imbalance-aware losses, selectable per task with ``train.loss`` (a TrainConfig field).

``ce`` (cross-entropy), ``weighted_ce`` (cross-entropy with inverse-frequency class weights
from the training labels), ``dice`` (soft multi-class Dice, classes absent from the batch
counting 0, as ``segmentation_models_pytorch.losses.DiceLoss``), ``focal`` (Lin et al. 2017, γ = 2,
one-vs-rest per class with logits, averaged over classes, as smp's ``FocalLoss``), and sums
``ce+dice``, ``focal+dice``, ``weighted_ce+dice``; ``lovasz`` (the Lovász-softmax surrogate of
the Jaccard loss, Berman et al. 2018, over the classes present, as smp's ``LovaszLoss``) and its
sums ``ce+lovasz``, ``weighted_ce+lovasz``. Logits are ``(B, K)`` or ``(B, K, H, W)``;
targets ``(B,)`` or ``(B, H, W)`` class indices; ``ignore_index`` pixels count in no term.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from geoarena.core.errors import ConfigError

LOSSES = (
    "auto",
    "ce",
    "weighted_ce",
    "dice",
    "focal",
    "lovasz",
    "ce+dice",
    "focal+dice",
    "weighted_ce+dice",
    "ce+lovasz",
    "weighted_ce+lovasz",
)
LossFn = Callable[[Any, Any], Any]


def class_weights(counts: Sequence[float]) -> list[float]:
    """Inverse-frequency weights normalised to mean 1 over the classes that occur (absent
    classes get weight 0: they cannot be learnt from this split)."""
    total = float(sum(counts))
    present = [c for c in counts if c > 0]
    if not present:
        raise ConfigError("weighted_ce: the training labels hold no class at all")
    raw = [total / c if c > 0 else 0.0 for c in counts]
    mean = sum(r for r in raw if r > 0) / len(present)
    return [r / mean for r in raw]


def _flat(logits: Any, target: Any, ignore_index: int | None) -> tuple[Any, Any, Any]:
    """``(N, K)`` logits, ``(N,)`` targets and ``(N,)`` validity over samples or pixels."""
    k = logits.shape[1]
    x = logits.movedim(1, -1).reshape(-1, k) if logits.ndim > 2 else logits
    y = target.reshape(-1).long()
    valid = y != ignore_index if ignore_index is not None else y >= 0
    return x.float(), y.where(valid, 0), valid


def dice_loss(logits: Any, target: Any, ignore_index: int | None = None, eps: float = 1e-7):
    """Mean over classes of 1 − soft Dice, classes absent from the target counting 0 (smp's
    ``multiclass`` mode)."""
    import torch.nn.functional as F

    x, y, valid = _flat(logits, target, ignore_index)
    prob = x.softmax(-1) * valid[:, None]
    onehot = F.one_hot(y, x.shape[1]).float() * valid[:, None]
    inter = (prob * onehot).sum(0)
    card = (prob + onehot).sum(0)
    score = (2 * inter) / card.clamp_min(eps)
    present = onehot.sum(0) > 0
    return ((1 - score) * present).mean()


def focal_loss(logits: Any, target: Any, ignore_index: int | None = None, gamma: float = 2.0):
    """Mean over classes of the mean one-vs-rest focal loss (smp's ``multiclass`` FocalLoss)."""
    import torch.nn.functional as F

    x, y, valid = _flat(logits, target, ignore_index)
    onehot = F.one_hot(y, x.shape[1]).float()
    ce = F.binary_cross_entropy_with_logits(x, onehot, reduction="none")
    pt = (-ce).exp()
    per = ((1 - pt) ** gamma) * ce * valid[:, None]
    return per.sum(0).div(valid.sum().clamp_min(1)).mean()


def lovasz_softmax(logits: Any, target: Any, ignore_index: int | None = None):
    """Mean over the classes present in the target of the Lovász extension of the Jaccard loss
    on the softmax probabilities (Berman, Rannen Triki & Blaschko, CVPR 2018): each class's
    errors ``|1[y=c] − p_c|`` sorted in decreasing order, dotted with the gradient of the
    Jaccard loss along that order. It optimises IoU itself, where CE optimises accuracy."""
    import torch

    x, y, valid = _flat(logits, target, ignore_index)
    prob, y = x.softmax(-1)[valid], y[valid]
    losses = []
    for c in range(x.shape[1]):
        fg = (y == c).float()
        if fg.sum() == 0:  # smp's classes="present"
            continue
        errors, order = torch.sort((fg - prob[:, c]).abs(), descending=True)
        fg_sorted = fg[order]
        gts = fg_sorted.sum()
        jaccard = 1.0 - (gts - fg_sorted.cumsum(0)) / (gts + (1.0 - fg_sorted).cumsum(0))
        grad = torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]])
        losses.append(torch.dot(errors, grad))
    return torch.stack(losses).mean() if losses else x.sum() * 0.0


def build_loss(
    name: str,
    ignore_index: int | None = None,
    weights: Sequence[float] | None = None,
) -> LossFn:
    """``(logits, target) -> scalar`` for ``name`` (see module docstring).

    ``weights`` (per class) are required by ``weighted_ce`` (alone or in a sum) and used by
    nothing else.
    """
    import torch.nn.functional as F

    if name not in LOSSES or name == "auto":
        raise ConfigError(f"train.loss={name!r}: choose one of {LOSSES[1:]}")
    ignore = ignore_index if ignore_index is not None else -100

    def ce(logits, target, w=None):
        if w is not None:
            w = w.to(logits.device, logits.dtype if logits.is_floating_point() else None)
        return F.cross_entropy(logits, target.long(), weight=w, ignore_index=ignore)

    parts = name.split("+")
    if "weighted_ce" in parts:
        if weights is None:
            raise ConfigError(f"train.loss={name} needs the training split's class counts")
        import torch

        w = torch.tensor(list(weights), dtype=torch.float32)
        if name == "weighted_ce":
            return lambda logits, target: ce(logits.float(), target, w)
    terms: list[LossFn] = []
    for part in parts:
        if part == "weighted_ce":
            terms.append(lambda lo, t: ce(lo.float(), t, w))
        elif part == "ce":
            terms.append(lambda lo, t: ce(lo, t))
        elif part == "dice":
            terms.append(lambda lo, t: dice_loss(lo, t, ignore_index))
        elif part == "focal":
            terms.append(lambda lo, t: focal_loss(lo, t, ignore_index))
        elif part == "lovasz":
            terms.append(lambda lo, t: lovasz_softmax(lo, t, ignore_index))
    return lambda logits, target: sum(f(logits, target) for f in terms)
