"""Detection batches from any data module: the YOLO adapter trains on ``Chip`` records, and a
task whose data module has none (GEO-Bench-2's EverWatch and NZ Cattle read tortilla files and
yield normalised float tensors) is turned into chips here.

A float ``(B, 3, H, W)`` batch becomes RGB ``uint8`` images by a per-image 2–98 % percentile
stretch of each band — the same display stretch the embedded SpaceNet task applies — so the
network sees what it sees on the package's own tasks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.det.chips import Chip


def _numpy(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def as_rgb_uint8(images: Any) -> list[np.ndarray]:
    """``images`` — a list of ``(H, W, 3)`` uint8 arrays, or a ``(B, 3, H, W)`` float tensor —
    as a list of ``(H, W, 3)`` uint8 arrays."""
    if isinstance(images, list | tuple):
        return [np.asarray(im) for im in images]
    arr = _numpy(images)
    if arr.ndim != 4 or arr.shape[1] != 3:
        raise DataError(f"YOLO takes 3-band images; this task's batches have shape {arr.shape}")
    out = []
    for im in arr:
        lo, hi = np.percentile(im, [2, 98], axis=(1, 2), keepdims=True)
        scaled = (im - lo) / np.maximum(hi - lo, 1e-6)
        out.append(
            np.ascontiguousarray(
                (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0)
            )
        )
    return out


def chips_of(data: Any, split: str) -> list[Chip]:
    """The ``split`` of ``data`` as chips: its own when it has them, else built from its batches."""
    if hasattr(data, "chips"):
        return data.chips(split)
    chips: list[Chip] = []
    for batch in data.loader(split, 16, shuffle=False):
        images = as_rgb_uint8(batch["image"])
        for i, im in enumerate(images):
            boxes = _numpy(batch["boxes"][i]).astype(np.float64)
            labels = _numpy(batch["labels"][i]).astype(np.int64)
            h, w = im.shape[:2]
            chips.append(
                Chip(
                    scene=f"{split}{len(chips)}",
                    window=(0, 0, w, h),
                    image=im,
                    boxes=boxes,
                    labels=labels,
                    difficult=np.zeros(len(labels), bool),
                )
            )
    return chips
