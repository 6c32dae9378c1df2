"""Write a ``ChipDataModule`` as an ultralytics YOLO dataset folder (images, labels, yaml)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from geoarena.det.chips import Chip


def yolo_label_lines(chip: Chip, box_type: str) -> list[str]:
    """YOLO txt lines for one chip (normalised; HBB ``c cx cy w h``, OBB ``c x1 y1 … x4 y4``)."""
    h, w = chip.image.shape[:2]
    lines = []
    for b, c in zip(chip.boxes, chip.labels):
        if box_type == "hbb":
            x0, y0, x1, y1 = np.clip(b, 0, [w, h, w, h])
            vals = [(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h]
        else:
            vals = (np.clip(np.asarray(b), 0, [w, h]) / [w, h]).ravel().tolist()
        lines.append(f"{int(c)} " + " ".join(f"{v:.6f}" for v in vals))
    return lines


def write_yolo_dataset(
    root: Path, splits: dict[str, list[Chip]], class_names: tuple[str, ...], box_type: str
) -> Path:
    """``root/images/<split>/*.png``, ``root/labels/<split>/*.txt`` and ``root/data.yaml``."""
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    for split, chips in splits.items():
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i, chip in enumerate(chips):
            stem = f"{i:05d}_{chip.id}".replace("/", "_")
            cv2.imwrite(
                str(root / "images" / split / f"{stem}.png"), chip.image[..., ::-1]
            )  # RGB → BGR
            keep = ~chip.difficult if len(chip.difficult) == len(chip.labels) else slice(None)
            shown = Chip(
                chip.scene,
                chip.window,
                chip.image,
                chip.boxes[keep],
                chip.labels[keep],
                chip.difficult[keep],
            )
            (root / "labels" / split / f"{stem}.txt").write_text(
                "\n".join(yolo_label_lines(shown, box_type))
            )
    data = {
        "path": str(root.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(class_names)),
    }
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "data.yaml"
