"""Chips from big scenes, with spatial block splits.

A scene is first cut into square blocks; each block goes wholly to one split (train, val or
test), and chips are cut *inside* blocks, never across a block edge. So no test pixel and no
test object ever appears in a training chip, which random chip splits of one scene cannot
promise (neighbouring chips share trees, roofs and lighting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geoarena.det.boxes import poly_to_hbb

Window = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


@dataclass
class Chip:
    """One training/evaluation image cut from a scene."""

    scene: str
    window: Window
    image: np.ndarray  # (h, w, 3) uint8
    boxes: np.ndarray  # (N, 4) xyxy or (N, 4, 2) corners, chip pixels
    labels: np.ndarray  # (N,)
    difficult: np.ndarray  # (N,) bool

    @property
    def id(self) -> str:
        x0, y0, x1, y1 = self.window
        return f"{self.scene}_{x0}_{y0}_{x1}_{y1}"


def block_grid(width: int, height: int, block: int) -> list[Window]:
    """Blocks of about ``block`` px covering the scene row by row; the scene is divided evenly
    (``round(size / block)`` blocks per axis) so no sliver blocks appear at the edges."""

    def edges(size: int) -> np.ndarray:
        n = max(1, round(size / block))
        return np.linspace(0, size, n + 1).round().astype(int)

    xs, ys = edges(width), edges(height)
    return [
        (int(xs[i]), int(ys[j]), int(xs[i + 1]), int(ys[j + 1]))
        for j in range(len(ys) - 1)
        for i in range(len(xs) - 1)
    ]


def assign_blocks(
    blocks: Sequence[Window], fractions: dict[str, float], seed: int = 0
) -> dict[str, list[Window]]:
    """Deal blocks to splits by area fraction with a seeded shuffle (deterministic)."""
    order = np.random.default_rng(seed).permutation(len(blocks))
    areas = np.array([(b[2] - b[0]) * (b[3] - b[1]) for b in blocks], dtype=float)
    total = areas.sum()
    out: dict[str, list[Window]] = {s: [] for s in fractions}
    names = list(fractions)
    targets = np.cumsum([fractions[s] for s in names]) / sum(fractions.values()) * total
    acc = 0.0
    for i in order:
        split = names[min(int(np.searchsorted(targets, acc + areas[i] / 2)), len(names) - 1)]
        out[split].append(blocks[i])
        acc += areas[i]
    return out


def chip_windows(region: Window, chip: int, overlap: int = 0) -> list[Window]:
    """Chip windows tiling ``region``; the last row/column is shifted inwards so every chip is
    full size (when the region is at least one chip wide) and nothing leaves the region."""
    x0, y0, x1, y1 = region
    stride = max(chip - overlap, 1)

    def starts(lo: int, hi: int) -> list[int]:
        if hi - lo <= chip:
            return [lo]
        s = list(range(lo, hi - chip + 1, stride))
        if s[-1] + chip < hi:
            s.append(hi - chip)
        return s

    return [
        (x, y, min(x + chip, x1), min(y + chip, y1)) for y in starts(y0, y1) for x in starts(x0, x1)
    ]


def crop_labels(
    boxes: np.ndarray, window: Window, min_visible: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes shifted into ``window`` and clipped; returns (boxes, kept indices).

    A box is kept when at least ``min_visible`` of its (enclosing) area lies inside. Oriented
    boxes are kept unclipped (a clipped rotated box is no longer a rectangle); their visible
    fraction is measured on the enclosing box.
    """
    x0, y0, x1, y1 = window
    obb = boxes.ndim == 3
    hbb = poly_to_hbb(boxes) if obb else boxes.reshape(-1, 4)
    if len(hbb) == 0:
        return boxes[:0], np.zeros(0, dtype=np.int64)
    clipped = np.clip(hbb, [x0, y0, x0, y0], [x1, y1, x1, y1])
    area = np.prod(hbb[:, 2:] - hbb[:, :2], 1)
    vis = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), 1) / np.maximum(area, 1e-12)
    keep = np.where((vis >= min_visible) & (vis > 0))[0]
    if obb:
        out = boxes[keep] - np.array([x0, y0])
    else:
        out = clipped[keep] - np.array([x0, y0, x0, y0])
    return out, keep


def make_chips(
    scene: str,
    image: np.ndarray,
    boxes: np.ndarray,
    labels: np.ndarray,
    regions: Sequence[Window],
    chip: int,
    overlap: int = 0,
    min_visible: float = 0.5,
    difficult: np.ndarray | None = None,
    keep_empty: bool = True,
) -> list[Chip]:
    """Cut chips of ``chip`` px inside each region of ``image`` with their labels."""
    difficult = (
        np.zeros(len(labels), dtype=bool)
        if difficult is None
        else np.asarray(difficult, dtype=bool)
    )
    out = []
    for region in regions:
        for w in chip_windows(region, chip, overlap):
            b, keep = crop_labels(boxes, w, min_visible)
            if not keep_empty and len(keep) == 0:
                continue
            x0, y0, x1, y1 = w
            out.append(Chip(scene, w, image[y0:y1, x0:x1], b, labels[keep], difficult[keep]))
    return out
