"""Aerial augmentation missing from ultralytics: random 90° rotations.

Overhead imagery has no "up": flips (ultralytics' ``flipud``/``fliplr``) plus 90° rotations
give all eight orientations of a chip. ``RandomRot90`` is an ultralytics-style transform on its
``labels`` dict (``img`` + ``Instances``), inserted just before the final ``Format`` step; it
rotates horizontal boxes and the 4-point polygons that oriented boxes are built from.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class RandomRot90:
    """Rotate image and labels by 90° counter-clockwise with probability ``p`` (k=1 or 3)."""

    def __init__(self, p: float = 0.5, seed: int | None = None):
        self.p = p
        self.rng = np.random.default_rng(seed)

    def __call__(self, labels: dict[str, Any]) -> dict[str, Any]:
        if self.p <= 0 or self.rng.random() >= self.p:
            return labels
        k = 1 if self.rng.random() < 0.5 else 3
        img = labels["img"]
        h, w = img.shape[:2]
        inst = labels["instances"]
        was_normalized = inst.normalized
        fmt = inst._bboxes.format
        inst.convert_bbox("xyxy")
        if was_normalized:
            inst.denormalize(w, h)
        b = inst.bboxes.copy()
        seg = (
            inst.segments.copy()
            if inst.segments is not None and len(inst.segments)
            else inst.segments
        )
        if k == 1:  # (x, y) → (y, W - x)
            nb = np.stack([b[:, 1], w - b[:, 2], b[:, 3], w - b[:, 0]], 1) if len(b) else b
            if seg is not None and len(seg):
                seg = np.stack([seg[..., 1], w - seg[..., 0]], -1)
        else:  # (x, y) → (H - y, x)
            nb = np.stack([h - b[:, 3], b[:, 0], h - b[:, 1], b[:, 2]], 1) if len(b) else b
            if seg is not None and len(seg):
                seg = np.stack([h - seg[..., 1], seg[..., 0]], -1)
        inst.update(nb, seg if seg is not None and len(seg) else None)
        labels["img"] = np.ascontiguousarray(np.rot90(img, k))
        if was_normalized:
            inst.normalize(h, w)  # the rotated image is h wide and w high
        inst.convert_bbox(fmt)
        return labels


def with_rot90(trainer_cls: type, p: float) -> type:
    """A subclass of an ultralytics trainer whose training dataset also applies ``RandomRot90``
    (kept when mosaic closes, since the dataset rebuilds its transforms then)."""

    class Rot90Trainer(trainer_cls):  # type: ignore[misc, valid-type]
        def build_dataset(self, img_path: str, mode: str = "train", batch: int | None = None):
            ds = super().build_dataset(img_path, mode, batch)
            if mode == "train" and p > 0:
                original = ds.build_transforms
                seed = int(getattr(self.args, "seed", 0))

                def build_transforms(hyp=None):
                    t = original(hyp)
                    t.insert(-1, RandomRot90(p, seed))
                    return t

                ds.build_transforms = build_transforms
                ds.transforms = build_transforms(self.args)
            return ds

    Rot90Trainer.__name__ = f"Rot90{trainer_cls.__name__}"
    return Rot90Trainer
