"""DataModule over chips: batches of images with per-image boxes and labels."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from geoarena.core.task import DataModule, Split
from geoarena.det.chips import Chip
from geoarena.det.info import DetectionInfo


class ChipDataModule(DataModule):
    """Serves ``Chip`` lists per split as harness batches.

    A batch is ``{"image": [H×W×3 uint8], "boxes": [...], "labels": [...], "iscrowd": [...],
    "id": [...]}`` (lists, since images and box counts vary). ``setup`` keeps a seeded
    ``label_fraction`` of the training chips; validation and test never change.

    Args:
        build: ``() -> {"train": [...], "val": [...], "test": [...]}``, called once in setup.
        info: class names, box type, bands and the other facts adapters read.
    """

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return self.info.describe()

    def __init__(self, build: Callable[[], dict[str, list[Chip]]], info: DetectionInfo):
        self._build = build
        self.info = info
        self.class_names = info.class_names
        self.box_type = info.box_type
        self._all: dict[str, list[Chip]] | None = None
        self._splits: dict[str, list[Chip]] = {}

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        if self._all is None:
            self._all = self._build()
        train = self._all["train"]
        if label_fraction < 1.0:
            n = max(1, round(len(train) * label_fraction))
            idx = np.sort(np.random.default_rng(seed).permutation(len(train))[:n])
            train = [train[i] for i in idx]
        self._splits = {"train": train, "val": self._all["val"], "test": self._all["test"]}

    def chips(self, split: Split) -> list[Chip]:
        """The chips of ``split`` (after ``setup``)."""
        if not self._splits:
            raise RuntimeError("call setup() before reading chips")
        return self._splits[split]

    def num_samples(self, split: Split) -> int:
        return len(self.chips(split))

    def loader(
        self, split: Split, batch_size: int, shuffle: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        chips = self.chips(split)
        order = np.arange(len(chips))
        if shuffle if shuffle is not None else split == "train":
            order = np.random.default_rng(len(chips)).permutation(len(chips))
        for i in range(0, len(order), max(batch_size, 1)):
            yield collate([chips[j] for j in order[i : i + batch_size]])


def collate(chips: list[Chip]) -> dict[str, Any]:
    """Chips → one batch dict of lists."""
    return {
        "image": [c.image for c in chips],
        "boxes": [c.boxes for c in chips],
        "labels": [c.labels for c in chips],
        "iscrowd": [c.difficult for c in chips],
        "id": [c.id for c in chips],
    }
