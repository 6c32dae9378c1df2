"""SYNTHETIC oriented vehicles rendered on REAL aerial backgrounds (honestly labelled).

No oriented-box dataset ships in a registry package, so this task paints vehicles — rotated
car and truck bodies with windscreen, roof highlight and cast shadow, sized for 10 cm imagery
(cars ≈ 4.5 × 1.9 m, trucks ≈ 8–12 × 2.5 m) — at random positions and headings onto chips of
the real NEON RGB scenes (deepforest wheel). The backgrounds are real and spatially block-split
like the NEON task; the objects and their boxes are synthetic. Results on this task measure the
OBB pipeline (rotated labels, training, rotated-IoU metrics), not real-world vehicle accuracy.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np
import shapely

from geoarena.det.boxes import xywhr_to_poly
from geoarena.det.chips import Chip, assign_blocks, block_grid, chip_windows
from geoarena.det.data_neon import load_scenes

CLASS_NAMES = ("small-vehicle", "large-vehicle")
SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
SPLIT_SEED = 1
#: (length, width) ranges in pixels at 10 cm
SIZES = {0: ((38.0, 50.0), (17.0, 21.0)), 1: ((75.0, 120.0), (23.0, 28.0))}


def render_vehicles(
    image: np.ndarray, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paint ``n`` non-overlapping vehicles on a copy of ``image``; returns (image, corners, labels)."""
    out = image.copy()
    h, w = out.shape[:2]
    polys, labels, placed = [], [], []
    tries = 0
    while len(polys) < n and tries < 50 * n:
        tries += 1
        cls = int(rng.random() < 0.3)
        (l0, l1), (w0, w1) = SIZES[cls]
        length, width = rng.uniform(l0, l1), rng.uniform(w0, w1)
        if length >= min(h, w):
            continue  # does not fit this chip
        angle = rng.uniform(-np.pi / 2, np.pi / 2)
        cx, cy = rng.uniform(length / 2, w - length / 2), rng.uniform(length / 2, h - length / 2)
        quad = xywhr_to_poly(np.array([[cx, cy, length, width, angle]]))[0]
        shape = shapely.Polygon(quad).buffer(3)
        if any(shape.intersects(p) for p in placed):
            continue
        placed.append(shape)
        _paint(out, cx, cy, length, width, angle, cls, rng)
        polys.append(quad)
        labels.append(cls)
    return (
        out,
        np.asarray(polys, dtype=np.float64).reshape(-1, 4, 2),
        np.asarray(labels, dtype=np.int64),
    )


def _quad(cx: float, cy: float, length: float, width: float, angle: float) -> np.ndarray:
    return xywhr_to_poly(np.array([[cx, cy, length, width, angle]]))[0]


def _fill(img: np.ndarray, quad: np.ndarray, color: tuple[float, ...], alpha: float = 1.0) -> None:
    pts = np.round(quad * 16).astype(np.int32)  # 4 fractional bits for sub-pixel edges
    if alpha >= 1.0:
        cv2.fillPoly(img, [pts], color, lineType=cv2.LINE_AA, shift=4)
        return
    layer = img.copy()
    cv2.fillPoly(layer, [pts], color, lineType=cv2.LINE_AA, shift=4)
    cv2.addWeighted(layer, alpha, img, 1 - alpha, 0, dst=img)


def _paint(
    img: np.ndarray,
    cx: float,
    cy: float,
    length: float,
    width: float,
    angle: float,
    cls: int,
    rng: np.random.Generator,
) -> None:
    ux, uy = np.cos(angle), np.sin(angle)  # heading
    # cast shadow, offset to the lower right (sun from the upper left)
    _fill(img, _quad(cx + 4, cy + 5, length, width, angle), (20, 20, 20), alpha=0.45)
    palette = [
        (230, 230, 230),
        (30, 30, 35),
        (160, 20, 20),
        (20, 40, 140),
        (150, 150, 155),
        (200, 180, 40),
        (240, 240, 245),
    ]
    body = tuple(
        float(np.clip(c + rng.normal(0, 12), 0, 255))
        for c in palette[int(rng.integers(len(palette)))]
    )
    _fill(img, _quad(cx, cy, length, width, angle), body)
    if cls == 0:
        # windscreen (front third) and rear window: dark glass
        f = 0.18 * length
        _fill(img, _quad(cx + ux * f, cy + uy * f, 0.16 * length, 0.8 * width, angle), (25, 30, 40))
        _fill(
            img,
            _quad(
                cx - ux * 0.28 * length, cy - uy * 0.28 * length, 0.1 * length, 0.75 * width, angle
            ),
            (25, 30, 40),
        )
    else:
        # truck: cab at the front, separated from a lighter cargo box
        cab = 0.2 * length
        _fill(
            img,
            _quad(
                cx + ux * (length / 2 - cab / 2),
                cy + uy * (length / 2 - cab / 2),
                cab,
                width,
                angle,
            ),
            tuple(0.8 * c for c in body),
        )
        gap = length / 2 - cab - 2
        _fill(img, _quad(cx + ux * gap, cy + uy * gap, 2.5, width, angle), (15, 15, 15))
    # roof highlight
    _fill(img, _quad(cx, cy, 0.3 * length, 0.4 * width, angle), (255, 255, 255), alpha=0.15)


def build_chips(
    cache_dir: Path | None = None,
    chip: int = 256,
    block: int = 512,
    per_chip: tuple[int, int] = (3, 8),
) -> dict[str, list[Chip]]:
    """Chips of the real NEON scenes (block-split), each with synthetic vehicles painted on."""
    splits: dict[str, list[Chip]] = {s: [] for s in SPLIT_FRACTIONS}
    for k, (name, image, _) in enumerate(load_scenes(cache_dir)):
        h, w = image.shape[:2]
        regions = assign_blocks(block_grid(w, h, block), SPLIT_FRACTIONS, seed=SPLIT_SEED + k)
        for split, blocks in regions.items():
            for region in blocks:
                for win in chip_windows(region, chip, overlap=0):
                    x0, y0, x1, y1 = win
                    # per-chip seed from its identity: the same chip always gets the same vehicles
                    rng = np.random.default_rng(zlib.crc32(f"{name}/{win}".encode()))
                    img, quads, labels = render_vehicles(
                        image[y0:y1, x0:x1], rng, int(rng.integers(*per_chip, endpoint=True))
                    )
                    splits[split].append(
                        Chip(
                            f"synthetic-on-{name}",
                            win,
                            img,
                            quads,
                            labels,
                            np.zeros(len(labels), dtype=bool),
                        )
                    )
    return splits
