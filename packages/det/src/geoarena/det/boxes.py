"""Box representations and conversions.

Conventions used throughout ``geoarena.det``:

* HBB boxes are ``(N, 4)`` float arrays ``xmin, ymin, xmax, ymax`` in pixels (column, row),
  with the pixel grid's origin at the top-left corner of the top-left pixel.
* OBB boxes are ``(N, 4, 2)`` float arrays of corner points ``(x, y)`` in drawing order.
  ``xywhr`` (centre, width, height, rotation in radians) is the form ultralytics uses.
"""

from __future__ import annotations

import numpy as np


def as_hbb(boxes: object) -> np.ndarray:
    """Any array-like of boxes → ``(N, 4)`` float64 (empty input → ``(0, 4)``)."""
    arr = np.asarray(_numpy(boxes), dtype=np.float64)
    return arr.reshape(-1, 4)


def as_poly(boxes: object) -> np.ndarray:
    """Any array-like of quadrilaterals (``(N, 8)`` or ``(N, 4, 2)``) → ``(N, 4, 2)`` float64."""
    arr = np.asarray(_numpy(boxes), dtype=np.float64)
    return arr.reshape(-1, 4, 2)


def _numpy(x: object) -> object:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()  # type: ignore[attr-defined]
    return x


def hbb_to_poly(b: np.ndarray) -> np.ndarray:
    """Axis-aligned boxes → their 4 corners (clockwise in image coordinates, from top-left)."""
    b = as_hbb(b)
    x0, y0, x1, y1 = b.T
    return np.stack(
        [
            np.stack([x0, y0], 1),
            np.stack([x1, y0], 1),
            np.stack([x1, y1], 1),
            np.stack([x0, y1], 1),
        ],
        1,
    )


def poly_to_hbb(p: np.ndarray) -> np.ndarray:
    """Quadrilaterals → enclosing axis-aligned boxes."""
    p = as_poly(p)
    if len(p) == 0:
        return np.zeros((0, 4))
    return np.concatenate([p.min(axis=1), p.max(axis=1)], axis=1)


def xywhr_to_poly(b: np.ndarray) -> np.ndarray:
    """``cx, cy, w, h, angle`` (radians, ultralytics' convention) → ``(N, 4, 2)`` corners."""
    b = np.asarray(_numpy(b), dtype=np.float64).reshape(-1, 5)
    cx, cy, w, h, a = b.T
    cos, sin = np.cos(a), np.sin(a)
    # half-extent vectors along the box's own axes
    vx = np.stack([w / 2 * cos, w / 2 * sin], 1)
    vy = np.stack([-h / 2 * sin, h / 2 * cos], 1)
    c = np.stack([cx, cy], 1)
    return np.stack([c - vx - vy, c + vx - vy, c + vx + vy, c - vx + vy], 1)


def poly_area(p: np.ndarray) -> np.ndarray:
    """Shoelace area of each quadrilateral (absolute value)."""
    p = as_poly(p)
    x, y = p[..., 0], p[..., 1]
    return 0.5 * np.abs((x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y).sum(1))
