"""ultralytics ``Results`` → plain numpy detections (shared by the adapter and the slicer)."""

from __future__ import annotations

from typing import Any

import numpy as np


def results_to_dict(r: Any, obb: bool) -> dict[str, np.ndarray]:
    """One ultralytics ``Results`` → ``{"boxes", "scores", "labels"}`` numpy arrays."""
    if obb:
        o = r.obb
        if o is None or len(o) == 0:
            return {
                "boxes": np.zeros((0, 4, 2)),
                "scores": np.zeros(0),
                "labels": np.zeros(0, dtype=np.int64),
            }
        return {
            "boxes": o.xyxyxyxy.cpu().numpy().astype(np.float64),
            "scores": o.conf.cpu().numpy().astype(np.float64),
            "labels": o.cls.cpu().numpy().astype(np.int64),
        }
    b = r.boxes
    if b is None or len(b) == 0:
        return {
            "boxes": np.zeros((0, 4)),
            "scores": np.zeros(0),
            "labels": np.zeros(0, dtype=np.int64),
        }
    return {
        "boxes": b.xyxy.cpu().numpy().astype(np.float64),
        "scores": b.conf.cpu().numpy().astype(np.float64),
        "labels": b.cls.cpu().numpy().astype(np.int64),
    }
