"""In-memory chip datamodule: raw chips + split assignment → normalised torch batches."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from geoarena.core.task import DataModule, Split
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.splits import SPLITS, stratified_subset
from geoarena.train.dataloading import PipelineLoaders

IGNORE_INDEX = 255


@dataclass
class ChipArrays:
    """Raw chips of one task, before normalisation.

    Attributes:
        images: ``(N, C, H, W)`` in the input unit of the source (e.g. uint16 DN).
        targets: ``(N,)`` class per chip (cls) or ``(N, H, W)`` class per pixel (seg; 255 ignored).
        split: ``(N,)`` split index (0 train, 1 val, 2 test).
        groups: ``(N,)`` spatial block id (for grouped CV of classical baselines).
        valid: ``(N, H, W)`` bool, pixels with data (False on nodata); ``None`` if all valid.
    """

    images: np.ndarray
    targets: np.ndarray
    split: np.ndarray
    groups: np.ndarray
    valid: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def indices(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.split == SPLITS.index(split))


def band_stats(
    images: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and std over ``images`` (N, C, H, W) or (N, T, C, H, W), counting valid
    pixels only (``valid``: (N, H, W))."""
    if images.ndim == 5:  # time steps share the band statistics
        n, t = images.shape[:2]
        images = images.reshape(n * t, *images.shape[2:])
        valid = None if valid is None else np.repeat(valid, t, axis=0)
    x = images.astype(np.float64)
    c = x.shape[1]
    if valid is None:
        flat = x.transpose(1, 0, 2, 3).reshape(c, -1)
        mean, std = flat.mean(1), flat.std(1)
    else:
        m = valid[:, None].repeat(c, 1).transpose(1, 0, 2, 3).reshape(c, -1)
        flat = x.transpose(1, 0, 2, 3).reshape(c, -1)
        n = np.maximum(m.sum(1), 1)
        mean = (flat * m).sum(1) / n
        std = np.sqrt((((flat - mean[:, None]) ** 2) * m).sum(1) / n)
    return mean, np.maximum(std, 1e-6)


class ChipDataModule(PipelineLoaders, DataModule):
    """Serves chips from memory; normalises with per-band train statistics (z-score).

    ``setup(label_fraction, seed)`` keeps a seeded, stratified subset of the train split (by
    class for ``cls``; by "contains any foreground pixel" for ``seg``); val/test never change.
    Batches: ``image`` float32 ``(B, C, H, W)`` (``(B, T, C, H, W)`` for stacks), ``label`` int64 ``(B,)`` or ``mask`` int64
    ``(B, H, W)``, plus ``index`` (position in the chip arrays). ``loader`` is core's DataLoader
    pipeline (``PipelineLoaders``): workers, pinned memory and DDP sharding when configured.
    """

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return self.info.describe()

    def __init__(self, chips: ChipArrays, kind: str, info: RasterInfo):
        """``info`` states what the chips cannot (bands, unit, classes, GSD, source); the
        datamodule fills in what they can: chip size, time steps, the train band statistics
        (unless given) and the ignore index of segmentation targets."""
        self.chips = chips
        self.kind = kind
        filled: dict[str, Any] = {
            "chip_size": int(chips.images.shape[-1]),
            "n_time_steps": int(chips.images.shape[1]) if chips.images.ndim == 5 else 1,
            "normalization": info.normalization or "zscore_train_band_stats",
        }
        if not info.mean or not info.std:
            train = chips.indices("train")
            valid = None if chips.valid is None else chips.valid[train]
            filled["mean"], filled["std"] = band_stats(chips.images[train], valid)
        if kind == "seg" and info.ignore_index is None:
            filled["ignore_index"] = IGNORE_INDEX
        self.info: RasterInfo = replace(info, **filled)
        self._mean = np.asarray(self.info.mean, dtype=np.float32)[:, None, None]
        self._std = np.asarray(self.info.std, dtype=np.float32)[:, None, None]
        self._split_idx: dict[str, np.ndarray] = {s: chips.indices(s) for s in SPLITS}
        self._seed = 0
        self._epoch = 0

    # -- DataModule surface -------------------------------------------------------------
    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        train = self.chips.indices("train")
        self._split_idx = {s: self.chips.indices(s) for s in SPLITS}
        self._split_idx["train"] = stratified_subset(
            train, self.strata(train), label_fraction, seed
        )
        self._seed = seed
        self._epoch = 0
        self.reset_loaders()

    def strata(self, idx: np.ndarray) -> np.ndarray:
        """Class per chip for stratification (seg: 1 if any foreground pixel)."""
        t = self.chips.targets[idx]
        if self.kind == "seg":
            fg = (t > 0) & (t != IGNORE_INDEX)
            return fg.reshape(len(idx), -1).any(1).astype(np.int64)
        return t.astype(np.int64)

    def num_samples(self, split: Split) -> int:
        return len(self._split_idx[split])

    def split_indices(self, split: Split) -> np.ndarray:
        return self._split_idx[split]

    def normalise(self, images: np.ndarray) -> np.ndarray:
        """Raw chips → float32 z-scores with the train statistics (nodata → 0)."""
        return ((images.astype(np.float32) - self._mean) / self._std).astype(np.float32)

    def arrays(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Normalised images and targets of ``split`` as numpy (for classical baselines)."""
        idx = self._split_idx[split]
        img = self.normalise(self.chips.images[idx])
        if self.chips.valid is not None:
            img *= self._valid(idx)
        return img, self.chips.targets[idx].astype(np.int64)

    def _valid(self, idx: np.ndarray) -> np.ndarray:
        """Valid-pixel mask of chips ``idx`` shaped to broadcast over bands (and dates)."""
        v = self.chips.valid[idx]
        return v.reshape(v.shape[0], *([1] * (self.chips.images.ndim - 3)), *v.shape[1:])

    def split_dataset(self, split: Split) -> ChipSplitDataset:
        """The chips of ``split`` as a map-style dataset (for the loader pipeline)."""
        return ChipSplitDataset(self, self._split_idx[split])


class ChipSplitDataset:
    """Chips of one split; fetches whole batches at once (``__getitems__``) so that
    normalisation stays vectorised, in the main thread or in a loader worker."""

    def __init__(self, module: ChipDataModule, idx: np.ndarray):
        self.module, self.idx = module, np.asarray(idx)
        self.key = "mask" if module.kind == "seg" else "label"

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, position: int) -> dict[str, Any]:
        batch = self.__getitems__([position])
        return {k: v[0] for k, v in batch.items()}

    def __getitems__(self, positions: list[int]) -> dict[str, Any]:
        import torch

        m = self.module
        b = self.idx[np.asarray(positions, dtype=np.int64)]
        img = m.normalise(m.chips.images[b])
        if m.chips.valid is not None:
            img *= m._valid(b)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(img)),
            self.key: torch.from_numpy(m.chips.targets[b].astype(np.int64)),
            "index": torch.from_numpy(b.astype(np.int64)),
        }
