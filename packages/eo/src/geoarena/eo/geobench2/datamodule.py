"""``GB2DataModule``: one GEO-Bench-2 dataset read from its tortilla files under ``--data-root``.

``--data-root`` is the folder holding one sub-folder per dataset (``<root>/benv2/
geobench_benv2.tortilla``, ``<root>/pastis/geobench_pastis.0000.part.tortilla`` …) or a single
dataset's folder. Splits come from ``tortilla:data_split`` (train / validation / test); samples
flagged ``add_test_split`` form GEO-Bench-2's additional test set (``extra_test``) and are kept
out of train. Images are z-scored with the published per-band statistics of the dataset class, or
normalised with GEO-Bench-2's ``clip_rescale`` / ``satmae`` schemes (see ``normalization.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.task import DataModule, Split
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.geobench2.samples import load_sample
from geoarena.eo.geobench2.specs import GB2Spec
from geoarena.eo.geobench2.stats import ZSCORE
from geoarena.eo.geobench2.tortilla import TortillaSample, dataset_files, open_tortilla

SPLIT_VALUES = {"train": "train", "val": "validation", "test": "test"}


def find_dataset_files(data_root: Path | None, spec: GB2Spec) -> list[Path]:
    """The dataset's tortilla file(s) under ``data_root`` (benchmark root or dataset folder)."""
    if data_root is None:
        raise DataError(
            f"eo/gb2-{spec.name} needs the GEO-Bench-2 data: pass --data-root pointing at the "
            f"folder holding {spec.folder}/{spec.stem}.tortilla (or its .NNNN.part.tortilla parts)"
        )
    root = Path(data_root)
    looked = []
    for folder in (root / spec.folder, root):
        looked.append(str(folder))
        try:
            return dataset_files(folder, spec.stem)
        except DataError:
            continue
    raise DataError(
        f"no {spec.stem}.tortilla or {spec.stem}.NNNN.part.tortilla; looked in {', '.join(looked)}",
        root,
    )


class GB2DataModule(DataModule):
    """Batches: ``image`` ``(B, C, H, W)`` (``(B, T, C, H, W)`` for time series) plus ``label``,
    ``mask`` (+ ``valid`` for regression), or per-image lists ``instance_masks``/``boxes``/
    ``labels`` for instance segmentation and detection."""

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return self.info.describe()

    def __init__(self, files: list[Path], spec: GB2Spec, max_samples: int | None = None):
        self.spec = spec
        self.files = files
        self.max_samples = max_samples
        samples = open_tortilla(files)
        if not samples:
            raise DataError("tortilla has no samples", files[0])
        self.by_split: dict[str, list[TortillaSample]] = {
            "train": [s for s in samples if s.split == "train" and not s.extra_test],
            "val": [s for s in samples if s.split == "validation"],
            "test": [s for s in samples if s.split == "test" and not s.extra_test],
            "extra_test": [s for s in samples if s.extra_test],
        }
        for split in ("train", "val", "test"):
            if not self.by_split[split]:
                raise DataError(
                    f"no {SPLIT_VALUES[split]!r} samples (tortilla:data_split)", files[0]
                )
        from geoarena.eo.geobench2.normalization import published_stats, scheme_from_env

        self.scheme, stats_dir = scheme_from_env()
        self._published = (
            published_stats(stats_dir, self.scheme, spec.folder) if stats_dir else None
        )
        means, stds = ZSCORE[spec.name]
        self._mean = np.array([means[b] for b in spec.bands], np.float32)[None, :, None, None]
        self._std = np.array([stds[b] for b in spec.bands], np.float32)[None, :, None, None]
        first = load_sample(spec, self.by_split["train"][0])
        self.info = RasterInfo(
            band_names=spec.canonical,
            # the loader serves normalised values: a model sees zero mean, unit variance
            mean=tuple(0.0 for _ in spec.bands),
            std=tuple(1.0 for _ in spec.bands),
            normalization=(
                "zscore_geobench2_class_stats"
                if self.scheme == "zscore"
                else f"{self.scheme}_geobench2_published_stats"
            ),
            class_names=spec.class_names,
            chip_size=int(first["image"].shape[-1]),
            n_time_steps=spec.time_steps,
            ignore_index=spec.ignore_index,
            gsd=spec.gsd,
            source=f"GEO-Bench-2 {spec.folder} ({', '.join(p.name for p in files)})",
        )
        self._splits: dict[str, list[TortillaSample]] = {}
        self._seed = 0
        self._epoch = 0
        self.setup(1.0, 0)

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        """Train subset by ``label_fraction`` (seeded); val/test never change."""
        train = list(self.by_split["train"])
        if label_fraction < 1.0:
            n = max(1, round(label_fraction * len(train)))
            keep = np.sort(np.random.default_rng(seed).permutation(len(train))[:n])
            train = [train[i] for i in keep]
        self._splits = {
            "train": train,
            "val": list(self.by_split["val"]),
            "test": list(self.by_split["test"]),
            "extra_test": list(self.by_split["extra_test"]),
        }
        if self.max_samples:
            self._splits = {k: v[: self.max_samples] for k, v in self._splits.items()}
        self._seed, self._epoch = seed, 0

    def num_samples(self, split: Split) -> int:
        return len(self._splits[split])

    def sample_names(self, split: str) -> list[str]:
        return [s.id for s in self._splits[split]]

    def load(self, sample: TortillaSample) -> dict[str, Any]:
        """One sample, image z-scored; ``(C, H, W)`` when the spec has one time step."""
        from geoarena.eo.geobench2 import normalization

        out = load_sample(self.spec, sample)
        if self._published is None:
            img = (out["image"] - self._mean) / self._std
        else:
            scheme = getattr(normalization, self.scheme)
            img = scheme(out["image"], self._published, self.spec.bands)
        out["image"] = img[0] if self.spec.time_steps == 1 else img
        return out

    def loader(
        self, split: str, batch_size: int, shuffle: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        import torch

        samples = self._splits[split]
        order = np.arange(len(samples))
        if shuffle if shuffle is not None else split == "train":
            order = _rank_order(len(samples), self._seed, self._epoch)
            self._epoch += 1
        kind = self.spec.kind
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            items = [self.load(samples[i]) for i in idx]
            batch: dict[str, Any] = {
                "image": torch.from_numpy(np.stack([x["image"] for x in items]).astype(np.float32)),
                "index": torch.from_numpy(idx.astype(np.int64)),
            }
            if kind in ("cls", "multilabel"):
                batch["label"] = torch.from_numpy(np.stack([x["label"] for x in items]))
            elif kind == "seg":
                batch["mask"] = torch.from_numpy(np.stack([x["mask"] for x in items]))
            elif kind == "regression":
                batch["mask"] = torch.from_numpy(np.stack([x["mask"] for x in items]))
                batch["valid"] = torch.from_numpy(np.stack([x["valid"] for x in items]))
            else:  # instance_seg, det: per-image lists
                keys = ("boxes", "labels") + (("instance_masks",) if kind == "instance_seg" else ())
                for k in keys:
                    batch[k] = [torch.from_numpy(np.asarray(x[k])) for x in items]
            yield batch


def _rank_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled order of ``(seed, epoch)``; under DDP this rank's share of it (every
    world-th position, as ``geoarena.train.dataloading``'s sampler), so that the ranks train on
    disjoint parts of the split, their micro-batches making up the single-process batches,
    instead of each rank repeating the whole split."""
    from geoarena.train.dataloading import current_shard, make_sampler

    order = np.random.default_rng([seed, epoch]).permutation(n)
    if current_shard()[1] == 1:
        return order
    sampler = make_sampler(n, seed, shuffle=True, shard=True)
    sampler.set_epoch(epoch)
    return np.fromiter(sampler, dtype=np.int64, count=len(sampler))
