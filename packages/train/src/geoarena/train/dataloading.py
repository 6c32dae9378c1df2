"""One DataLoader pipeline for every torch task: a map-style dataset → batches, with worker
processes, persistent workers, pinned memory, prefetch and a rank-aware sampler.

* The sample order is ``numpy.random.default_rng([seed, epoch]).permutation(n)`` (the order the
  in-thread loaders always used), so label-fraction subsets, seeds and results do not change
  when the pipeline is switched on; under DDP each rank takes every ``world``-th position, so the
  union of the ranks' k-th micro-batches is the single-process k-th batch.
* Datasets may fetch a whole batch at once (``__getitems__``, torch's batched fetch) and return
  it already collated: vectorised normalisation of in-memory chips stays vectorised.
* File handles are opened in the process that reads (``per_process``): h5py/rasterio handles are
  never shared across ``fork``.

Torch is imported inside functions so that ``import geoarena.core`` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LoaderSettings:
    """How batches are produced: ``num_workers`` processes (0: the main thread), each keeping
    ``prefetch_factor`` batches ready; workers live across epochs (``persistent_workers``);
    ``pin_memory`` page-locks batches for asynchronous host→GPU copies."""

    num_workers: int = 0
    prefetch_factor: int = 2
    persistent_workers: bool = True
    pin_memory: bool = False


def settings_for(num_workers: int, prefetch_factor: int, device: str) -> LoaderSettings:
    """Settings for a training device (pinned memory only when batches go to a GPU)."""
    return LoaderSettings(
        num_workers=max(0, int(num_workers)),
        prefetch_factor=max(1, int(prefetch_factor)),
        persistent_workers=num_workers > 0,
        pin_memory=str(device).startswith("cuda"),
    )


def current_shard() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised process group, ``(0, 1)`` without one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool) -> np.ndarray:
    """Positions ``0..n-1`` in the order of ``(seed, epoch)`` (identity without shuffling)."""
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([seed, epoch]).permutation(n)


def _sampler_class() -> type:
    from torch.utils.data import DistributedSampler

    class EpochPermutationSampler(DistributedSampler):
        """A ``DistributedSampler`` whose permutation is :func:`epoch_order` (see module doc).

        The order is padded by wrapping to a multiple of the world size (as torch's sampler
        does) and rank ``r`` takes positions ``r, r + world, …``.
        """

        def __init__(self, n: int, seed: int, shuffle: bool, rank: int, world: int):
            self.n = n
            super().__init__(
                range(n), num_replicas=world, rank=rank, shuffle=shuffle, seed=seed, drop_last=False
            )

        def __iter__(self) -> Iterator[int]:
            order = epoch_order(self.n, self.seed, self.epoch, self.shuffle)
            if self.num_replicas > 1:
                pad = self.total_size - len(order)
                if pad > 0:
                    order = np.concatenate([order, np.resize(order, pad)])
                order = order[self.rank : self.total_size : self.num_replicas]
            return iter(order.tolist())

        def __len__(self) -> int:
            return self.num_samples

    return EpochPermutationSampler


def make_sampler(n: int, seed: int, shuffle: bool, shard: bool) -> Any:
    """The pipeline's sampler over ``n`` samples; ``shard`` splits it across DDP ranks."""
    rank, world = current_shard() if shard else (0, 1)
    return _sampler_class()(n, seed, shuffle, rank, world)


def collated(batch: Any) -> Any:
    """``collate_fn`` for datasets whose ``__getitems__`` returns a finished batch."""
    return batch


def _seed_worker(worker_id: int) -> None:
    """Distinct, reproducible NumPy/Python seeds per worker (torch seeds workers itself)."""
    import random

    import torch

    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def build_loader(
    dataset: Any,
    batch_size: int,
    *,
    sampler: Any,
    settings: LoaderSettings,
    collate_fn: Callable[[Any], Any] | None = None,
    seed: int = 0,
) -> Any:
    """A ``torch.utils.data.DataLoader`` over ``dataset`` with ``settings``.

    ``collate_fn`` defaults to torch's stacking collate, or :func:`collated` when the dataset
    fetches whole batches (``__getitems__``). Worker seeds come from a private generator so
    that building a loader never consumes the global torch RNG (resumed runs stay exact).
    """
    import torch
    from torch.utils.data import DataLoader, default_collate

    if collate_fn is None:
        collate_fn = collated if hasattr(dataset, "__getitems__") else default_collate
    workers = settings.num_workers
    extra: dict[str, Any] = {}
    if workers > 0:
        extra = {
            "prefetch_factor": settings.prefetch_factor,
            "persistent_workers": settings.persistent_workers,
            "worker_init_fn": _seed_worker,
        }
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate_fn,
        pin_memory=settings.pin_memory,
        generator=torch.Generator().manual_seed(seed),
        **extra,
    )


class per_process:
    """Cache ``opener(key)`` per process: a handle opened before ``fork`` is never reused in a
    worker (h5py and GDAL handles must not cross processes); each worker opens its own."""

    def __init__(self, opener: Callable[[Any], Any]):
        self.opener = opener
        self._pid = -1
        self._cache: dict[Any, Any] = {}

    def __call__(self, key: Any) -> Any:
        if self._pid != os.getpid():
            self._pid, self._cache = os.getpid(), {}
        if key not in self._cache:
            self._cache[key] = self.opener(key)
        return self._cache[key]

    def __getstate__(self) -> dict[str, Any]:
        return {"opener": self.opener, "_pid": -1, "_cache": {}}


class PipelineLoaders:
    """Mixin giving a ``DataModule`` the pipeline's ``loader``.

    Subclasses implement ``split_dataset(split)`` (a map-style dataset) and set ``_seed`` in
    ``setup`` (calling ``reset_loaders``). The training loop calls ``configure_loading`` (worker
    settings) and ``set_epoch`` (the shuffle epoch) when present; without ``set_epoch`` every
    shuffled ``loader`` call advances the epoch, as the in-thread loaders did. Under DDP the
    training split (the shuffled one) is sharded across ranks; evaluation splits are not.
    """

    _seed: int = 0
    _epoch: int = 0
    _loader_settings: LoaderSettings = LoaderSettings()
    _loaders: dict[tuple[Any, ...], Any] | None = None

    def split_dataset(self, split: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def configure_loading(self, settings: LoaderSettings) -> None:
        if settings != self._loader_settings:
            self._loader_settings = settings
            self.reset_loaders()

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def reset_loaders(self) -> None:
        """Drop cached loaders (and their persistent workers), e.g. after a new ``setup``."""
        self._loaders = {}

    def loader(self, split: str, batch_size: int, shuffle: bool | None = None) -> Any:
        if shuffle is None:
            shuffle = split == "train"
        shard = bool(shuffle) and current_shard()[1] > 1
        if self._loaders is None:
            self._loaders = {}
        key = (split, batch_size, bool(shuffle), shard)
        loader = self._loaders.get(key)
        if loader is None:
            dataset = self.split_dataset(split)
            sampler = make_sampler(len(dataset), self._seed, bool(shuffle), shard)
            loader = build_loader(
                dataset,
                batch_size,
                sampler=sampler,
                settings=self._loader_settings,
                seed=self._seed,
            )
            self._loaders[key] = loader
        if shuffle:
            loader.sampler.set_epoch(self._epoch)
            self._epoch += 1
        return loader
