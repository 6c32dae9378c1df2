"""The point-cloud DataModule: one labelled cloud, per-point features, spatial stripe folds.

Training batches are random crops of ``crop_points`` points (the nearest in plan view to a random
training point); validation and test batches are spatial tiles whose core points carry their
labels and whose halo points carry ``IGNORE`` (context only), so every held-out point is scored
exactly once.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from geoarena.core.task import DataModule, Split
from geoarena.pc.asprs import IGNORE, ClassMap
from geoarena.pc.features import FeatureConfig, compute_features
from geoarena.pc.folds import StripeFolds
from geoarena.pc.info import PointCloudInfo
from geoarena.pc.io import PointCloud
from geoarena.pc.tiles import iter_tiles

SPLITS = {"train": 0, "val": 1, "test": 2}

_FEATURE_CACHE: dict[str, tuple[np.ndarray, list[str]]] = {}


def cached_features(cloud: PointCloud, cfg: FeatureConfig) -> tuple[np.ndarray, list[str]]:
    """``compute_features`` memoised per (file, size, config) for the process: suites run many
    cells on the same tile."""
    key = hashlib.sha1(
        repr((str(cloud.path), len(cloud), float(cloud.xyz.sum()), cfg)).encode()
    ).hexdigest()
    if key not in _FEATURE_CACHE:
        _FEATURE_CACHE[key] = compute_features(cloud, cfg)
    return _FEATURE_CACHE[key]


@dataclass(frozen=True)
class CloudDataConfig:
    """How a labelled cloud becomes batches.

    Attributes:
        fold: which stripe is the test split (``folds.n_folds`` stripes).
        crop_points: points per training crop (and per inference crop of the networks).
        crops_per_epoch: training crops per epoch (0: enough to cover the training points twice).
        tile_m: side of the validation/test tiles in metres; ``halo_m`` their context margin.
        quick_points: with ``quick``, keep this many points (a random subset) of the cloud.
        train_on_test: add the test stripe to the training points (fitting a production model
            on a whole labelled file; the validation stripe still drives early stopping).
    """

    fold: int = 0
    folds: StripeFolds = field(default_factory=StripeFolds)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    crop_points: int = 2048
    crops_per_epoch: int = 0
    tile_m: float = 40.0
    halo_m: float = 8.0
    quick_points: int = 0
    train_on_test: bool = False


class CloudDataModule(DataModule):
    """One labelled point cloud split into spatial stripe folds.

    Args:
        load: ``() -> PointCloud`` (reads the file; raises ``DataError`` on bad input).
        class_map: source class codes → contiguous labels.
        cfg: data settings.
    """

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return self.info.describe() if self.info is not None else {}

    def __init__(
        self,
        load: Callable[[], PointCloud],
        class_map: ClassMap,
        cfg: CloudDataConfig | None = None,
    ):
        self._load = load
        self.class_map = class_map
        self.cfg = cfg or CloudDataConfig()
        self.info: PointCloudInfo | None = None  # known after setup
        self.cloud: PointCloud | None = None

    # -- setup ---------------------------------------------------------------------------------
    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        cloud = self._load()
        if cloud.classification is None:
            from geoarena.core.errors import DataError

            raise DataError("the cloud has no per-point classes to learn from", cloud.path)
        if self.cfg.quick_points and len(cloud) > self.cfg.quick_points:
            keep = np.sort(
                np.random.default_rng(0).choice(len(cloud), self.cfg.quick_points, replace=False)
            )
            cloud = cloud.subset(keep)
        feats, names = cached_features(cloud, self.cfg.features)
        labels = self.class_map.encode(cloud.classification)
        split = self.cfg.folds.assign(cloud.xyz[:, :2], self.cfg.fold)
        train_splits = (
            [SPLITS["train"], SPLITS["test"]] if self.cfg.train_on_test else [SPLITS["train"]]
        )
        train = np.isin(split, train_splits) & (labels != IGNORE)
        if label_fraction < 1.0:
            idx = np.flatnonzero(train)
            drop = np.random.default_rng(seed).permutation(idx)[
                max(1, round(label_fraction * len(idx))) :
            ]
            train[drop] = False
        self.cloud = cloud
        self.xyz_m = ((cloud.xyz - cloud.xyz.min(axis=0)) * cloud.unit_to_metre).astype(np.float64)
        self.features = feats
        self.labels = labels
        self.split = split
        self.train_mask = train
        mean = feats[train].mean(axis=0)
        std = feats[train].std(axis=0) + 1e-6
        self.info = PointCloudInfo(
            feature_names=tuple(names),
            class_names=self.class_map.class_names,
            ignore_index=IGNORE,
            mean=tuple(mean),
            std=tuple(std),
            crop_points=self.cfg.crop_points,
            crs=cloud.crs.to_string() if cloud.crs is not None else "",
            fold=self.cfg.fold,
            n_points=len(cloud),
        )

    # -- arrays (classical models) -------------------------------------------------------------
    def split_mask(self, split: Split) -> np.ndarray:
        if split == "train":
            return self.train_mask
        return (self.split == SPLITS[split]) & (self.labels != IGNORE)

    def arrays(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Features and labels of the labelled points of ``split`` (for per-point classifiers)."""
        m = self.split_mask(split)
        return self.features[m], self.labels[m]

    def num_samples(self, split: Split) -> int:
        if split == "train":
            return self._crops_per_epoch()
        return sum(1 for _ in self._tiles(split))

    # -- batches -------------------------------------------------------------------------------
    def _crops_per_epoch(self) -> int:
        if self.cfg.crops_per_epoch:
            return self.cfg.crops_per_epoch
        return max(4, math.ceil(2 * int(self.train_mask.sum()) / self.cfg.crop_points))

    def _tiles(self, split: Split):
        return iter_tiles(
            self.xyz_m[:, :2], self.cfg.tile_m, self.cfg.halo_m, self.split_mask(split)
        )

    def loader(
        self, split: Split, batch_size: int, shuffle: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        if split == "train":
            return self._train_crops(batch_size)
        return self._eval_tiles(split)

    def _train_crops(self, batch_size: int) -> Iterator[dict[str, Any]]:
        import torch
        from scipy.spatial import cKDTree

        from geoarena.train.dataloading import current_shard

        idx = np.flatnonzero(self.train_mask)
        tree = cKDTree(self.xyz_m[idx, :2])
        k = min(self.cfg.crop_points, len(idx))
        rng = np.random.default_rng(
            int(torch.randint(0, 2**31 - 1, ()).item())
        )  # follows torch's seed (equal on every DDP rank: the ranks draw the same crops)
        n = self._crops_per_epoch()
        # under DDP ``batch_size`` is this rank's share: every rank draws the global batch
        # and keeps every world-th crop, so the ranks' batches make up the single-process one
        rank, world = current_shard()
        step = batch_size * world
        for start in range(0, n, step):
            crops = []
            for c in rng.choice(idx.size, min(step, n - start)):
                _, nn = tree.query(self.xyz_m[idx[c], :2], k=k)
                crops.append(idx[rng.permutation(np.atleast_1d(nn))])
            if world > 1:  # wrap the last global batch to a multiple of the world size
                crops = [crops[i % len(crops)] for i in range(-(-len(crops) // world) * world)]
                crops = crops[rank::world]
            yield self.batch(np.stack(crops))

    def _eval_tiles(self, split: Split) -> Iterator[dict[str, Any]]:
        for tile in self._tiles(split):
            labels = np.full(len(tile.window), IGNORE, np.int64)
            pos = np.searchsorted(tile.window, tile.core)
            labels[pos] = self.labels[tile.core]
            b = self.batch(tile.window[None])
            b["point_labels"] = torch_long(labels[None])
            yield b

    def batch(self, index: np.ndarray) -> dict[str, Any]:
        """Tensors for point indices ``index`` (B, K): metric coordinates, features, labels."""
        import torch

        lab = np.where(
            self.train_mask[index] | (self.split[index] != SPLITS["train"]),
            self.labels[index],
            IGNORE,
        )
        return {
            "points": torch.from_numpy(self.xyz_m[index].astype(np.float32)),
            "features": torch.from_numpy(self.features[index]),
            "point_labels": torch.from_numpy(lab.astype(np.int64)),
            "index": torch.from_numpy(index.astype(np.int64)),
        }

    def with_config(self, **changes: Any) -> CloudDataModule:
        return CloudDataModule(self._load, self.class_map, replace(self.cfg, **changes))


def torch_long(a: np.ndarray):
    import torch

    return torch.from_numpy(a.astype(np.int64))
