"""Window weights for blending overlapping predictions, and D4 test-time augmentation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def window_weight(
    size: int, kind: str = "gaussian", sigma_scale: float = 0.25, floor: float = 1e-3
) -> np.ndarray:
    """``(size, size)`` float32 weight peaking at the centre: the outer product of
    ``window_weight_1d`` with itself (separable, so the sum of weights over a grid of windows is
    an outer product of two 1-D sums)."""
    w1 = window_weight_1d(size, kind, sigma_scale, floor)
    return np.outer(w1, w1).astype(np.float32)


def window_weight_1d(
    size: int, kind: str = "gaussian", sigma_scale: float = 0.25, floor: float = 1e-3
) -> np.ndarray:
    """1-D profile of the window weight.

    ``gaussian``: sigma = ``sigma_scale * size`` (nnU-Net style); ``cosine``: Hann window;
    ``none``: uniform. The floor (``sqrt(floor)`` per axis, ``floor`` in 2-D) keeps scene-border
    pixels, covered by one window only, well defined after normalisation.
    """
    x = np.arange(size, dtype=np.float64) + 0.5
    if kind == "gaussian":
        w1 = np.exp(-0.5 * ((x - size / 2) / (sigma_scale * size)) ** 2)
    elif kind == "cosine":
        w1 = np.sin(np.pi * x / size) ** 2
    elif kind == "none":
        w1 = np.ones(size)
    else:
        raise ValueError(f"unknown blend {kind!r}; use gaussian, cosine or none")
    return np.maximum(w1 / w1.max(), np.sqrt(floor)).astype(np.float32)


def d4_predict(model: Callable, x, softmax: bool = True, spatial: bool = True):
    """Average of ``model`` over the 8 dihedral transforms of the (square) input batch, each
    prediction mapped back to the original orientation. The transforms act on the last two
    axes, so ``(B, C, H, W)`` and time series ``(B, T, C, H, W)`` both work; ``spatial=False``
    is for outputs without a map (scene classes), which are averaged as they come."""
    import torch

    out = None
    for k in range(4):
        for flip in (False, True):
            t = torch.rot90(x, k, dims=(-2, -1))
            if flip:
                t = torch.flip(t, dims=(-1,))
            y = model(t)
            y = torch.softmax(y, 1) if softmax else y
            if spatial:
                if flip:
                    y = torch.flip(y, dims=(-1,))
                y = torch.rot90(y, -k, dims=(-2, -1))
            out = y if out is None else out + y
    return out / 8
