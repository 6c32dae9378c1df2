"""The 12 GEO-Bench v1 tasks (``eo/m-…``), read from their on-disk format under ``--data-root``.

``--data-root`` is the GEO-Bench folder holding ``classification_v1.0/`` and
``segmentation_v1.0/`` (or a folder holding the ``m-…`` dataset folders directly, or one dataset's
folder). Dataset folders carry the names of the real download (``m-cashew-plant``,
``m-chesapeake``, ``m-NeonTree``, ``m-SA-crop-type`` …). Label
fractions use the benchmark's own partitions (``0.01x_train`` … ``1.00x_train``); validation and
test always come from ``default_partition.json``. Normalisation uses ``band_stats.json``.

Known issue of the published v1.0 files (geo-bench issues #28/#29): ``m-eurosat`` and
``m-brick-kiln`` store wrong band names/wavelengths for most channels (pixels are fine). We keep
the stored channel order and names and flag it in ``info.band_names_unreliable`` so that band
adaptation by name can refuse or warn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import zoom

from geoarena.core.errors import DataError
from geoarena.core.metrics import ConfusionMatrixMetric, MultilabelF1
from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext, DataModule, Split, Task
from geoarena.eo.data.geobench_batch import batch_shape, read_batch
from geoarena.eo.data.geobench_format import read_band_stats, read_partition, read_sample
from geoarena.eo.data.geobench_specs import (
    PARTITION_FRACTIONS,
    SPECS,
    WRONG_BAND_NAMES,
    GeoBenchSpec,
    canonical_band_name,
    find_dataset_dir,
)
from geoarena.eo.data.info import RasterInfo
from geoarena.train.dataloading import PipelineLoaders


class GeoBenchDataModule(PipelineLoaders, DataModule):
    """Lazily reads HDF5 samples of one GEO-Bench dataset; see module docstring.

    Batches: ``image`` float32 ``(B, C, H, W)`` (or ``(B, T, C, H, W)`` for multi-date samples),
    ``label`` int64 ``(B,)`` (``(B, K)`` multi-label) or ``mask`` int64 ``(B, H, W)``.
    ``loader`` is core's DataLoader pipeline: with ``train.num_workers`` > 0 the per-sample HDF5
    reads run in worker processes, each opening its own files.
    """

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return self.info.describe()

    def __init__(self, dataset_dir: Path, spec: GeoBenchSpec, max_samples: int | None = None):
        self.dir = Path(dataset_dir)
        self.spec = spec
        self.max_samples = max_samples
        self.default = read_partition(self.dir, "default")
        self.stats = read_band_stats(self.dir)
        first = self.default["train"][0] if self.default["train"] else self.default["test"][0]
        arrays, attrs = read_sample(self._path(first))
        self.band_keys = [k for k in arrays if not k.startswith("label")]
        self.band_names, self.dates, _ = self._describe(attrs)
        mean, std = self._stats()
        self.info = RasterInfo(
            band_names=tuple(self.band_names),
            input_unit=spec.input_unit,
            normalization="zscore_geobench_band_stats",
            mean=tuple(mean),
            std=tuple(std),
            # the stored samples' side (the paper's patch size, or a fixture's)
            chip_size=max(int(np.asarray(arrays[k]).shape[0]) for k in self.band_keys),
            n_time_steps=len(self.dates),
            gsd=spec.gsd,
            source=f"GEO-Bench v1 {spec.benchmark}/{spec.name}",
            band_names_unreliable=spec.name in WRONG_BAND_NAMES,
        )
        self._mean = np.asarray(mean, np.float32)[:, None, None]
        self._std = np.asarray(std, np.float32)[:, None, None]
        self._splits: dict[str, list[str]] = {}
        self._seed = 0
        self._epoch = 0
        self.setup(1.0, 0)

    # -- metadata ----------------------------------------------------------------------
    def _path(self, sample_name: str) -> Path:
        return self.dir / f"{sample_name}.hdf5"

    def _describe(self, attrs: dict[str, Any]) -> tuple[list[str], list[Any], list[str]]:
        """Channel names (canonical), dates and the band-stats key of every channel of one date."""
        names, dates, self._stat_keys = [], [], []
        for key in self.band_keys:
            a = attrs.get(key, {}) if isinstance(attrs.get(key), dict) else {}
            if a.get("date") not in dates:
                dates.append(a.get("date"))
            if a.get("date") != dates[0]:
                continue  # channel names come from the first date
            info = a.get("band_info")
            raw = getattr(info, "name", None) or key
            cls = getattr(info, "geobench_class", "")
            n = int(getattr(info, "n_bands", 0) or 0)
            for j in range(max(n, 1)):
                names.append(canonical_band_name(raw, cls) + (f"_{j:03d}" if n > 1 else ""))
                self._stat_keys.append(raw)
        return names, dates, []

    def _stats(self) -> tuple[list[float], list[float]]:
        mean, std = [], []
        for raw in self._stat_keys:
            s = self.stats.get(raw)
            if s is None:
                raise DataError(
                    f"band_stats.json has no entry for band {raw!r}", self.dir / "band_stats.json"
                )
            mean.append(float(s["mean"]))
            std.append(max(float(s["std"]), 1e-6))
        return mean, std

    # -- DataModule surface ------------------------------------------------------------
    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        """Train names from the ``{fraction:.2f}x_train`` partition (the benchmark's own
        subsets; ``default`` at 1.0); val/test from ``default``."""
        if label_fraction >= 1.0:
            train = self.default["train"]
        else:
            match = [f for f in PARTITION_FRACTIONS if abs(f - label_fraction) < 1e-9]
            if not match:
                raise DataError(
                    f"GEO-Bench has partitions for label fractions {PARTITION_FRACTIONS}, not {label_fraction}",
                    self.dir,
                )
            train = read_partition(self.dir, f"{match[0]:.2f}x_train")["train"]
        self._splits = {
            "train": list(train),
            "val": list(self.default["valid"]),
            "test": list(self.default["test"]),
        }
        if self.max_samples:
            self._splits = {k: v[: self.max_samples] for k, v in self._splits.items()}
        self._seed, self._epoch = seed, 0
        self.reset_loaders()

    def num_samples(self, split: Split) -> int:
        return len(self._splits[split])

    def sample_names(self, split: Split) -> list[str]:
        return list(self._splits[split])

    def load(self, sample_name: str) -> tuple[np.ndarray, Any]:
        """One sample: normalised image ``(C,H,W)`` or ``(T,C,H,W)`` and its target."""
        path = self._path(sample_name)
        arrays, attrs = read_sample(path)
        planes = []
        for key in self.band_keys:
            if key not in arrays:
                raise DataError(f"band {key!r} missing (expected bands {self.band_keys})", path)
            a = arrays[key]
            planes.extend(np.moveaxis(a, -1, 0) if a.ndim == 3 else [a])
        h = max(p.shape[0] for p in planes)
        w = max(p.shape[1] for p in planes)
        planes = [
            p
            if p.shape == (h, w)
            else zoom(p.astype(np.float32), (h / p.shape[0], w / p.shape[1]), order=1)
            for p in planes
        ]
        img = np.stack(planes).astype(np.float32)
        t = max(len(self.dates), 1)
        c = len(self.band_names)
        if img.shape[0] != t * c:
            raise DataError(f"sample has {img.shape[0]} channels, expected {t}×{c}", path)
        img = img.reshape(t, c, h, w)
        img = (img - self._mean) / self._std
        if t == 1:
            img = img[0]
        if self.spec.kind == "seg":
            label_key = next((k for k in arrays if k.startswith("label")), None)
            if label_key is None:
                raise DataError("segmentation sample has no 'label' band", path)
            target = np.asarray(arrays[label_key]).squeeze().astype(np.int64)
        else:
            if "label" not in attrs:
                raise DataError("classification sample has no 'label' attribute", path)
            target = np.asarray(attrs["label"]).astype(np.int64)
        return img, target

    def split_dataset(self, split: Split) -> GeoBenchSplitDataset:
        """The samples of ``split`` as a map-style dataset (for the loader pipeline)."""
        return GeoBenchSplitDataset(self, self._splits[split])


class GeoBenchSplitDataset:
    """One split of a GEO-Bench dataset: sample ``i`` is read from its own HDF5 file by the
    process that asks (a loader worker, or the main thread), so no handle crosses a fork."""

    def __init__(self, module: GeoBenchDataModule, names: list[str]):
        self.module, self.names = module, list(names)
        self.key = "mask" if module.spec.kind == "seg" else "label"

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, position: int) -> dict[str, Any]:
        import torch

        img, target = self.module.load(self.names[position])
        return {
            "image": torch.from_numpy(img),
            self.key: torch.from_numpy(np.asarray(target)),
            "index": torch.tensor(position, dtype=torch.int64),
        }

    def __getitems__(self, positions: list[int]) -> dict[str, Any]:
        """A whole collated batch (torch's batched fetch): bands read straight into one
        preallocated batch (``geobench_batch``), allocated in shared memory inside a loader
        worker so that handing it to the training process copies nothing. Equal to stacking
        ``__getitem__``; falls back to it for layouts the batched reader does not cover."""
        import torch
        from torch.utils.data import get_worker_info

        names = [self.names[p] for p in positions]
        image = torch.empty(batch_shape(self.module, len(names)), dtype=torch.float32)
        if get_worker_info() is not None:
            image.share_memory_()
        targets = read_batch(self.module, names, image.numpy())
        if targets is None:
            items = [self.module.load(n) for n in names]
            image = torch.from_numpy(np.stack([x for x, _ in items]))
            targets = [y for _, y in items]
        return {
            "image": image,
            self.key: torch.from_numpy(np.stack(targets)),
            "index": torch.as_tensor(positions, dtype=torch.int64),
        }


def _metrics(spec: GeoBenchSpec):
    if spec.kind == "multilabel":
        return lambda: MultilabelF1(spec.num_classes)
    key = "mask" if spec.kind == "seg" else "label"
    return lambda: ConfusionMatrixMetric(spec.num_classes, target_key=key)


@TASKS.register_each(SPECS.values(), name=lambda s: f"eo/{s.name}")
def make_task(spec: GeoBenchSpec) -> Task:
    """The GEO-Bench v1 task of ``spec`` (registered as ``eo/<spec.name>``, one per row)."""

    def datamodule(ctx: DataContext) -> GeoBenchDataModule:
        return GeoBenchDataModule(
            find_dataset_dir(ctx.data_root, spec), spec, max_samples=64 if ctx.quick else None
        )

    metric = {"cls": "overall_accuracy", "multilabel": "f1_micro", "seg": "miou"}[spec.kind]
    return Task(
        name=f"eo/{spec.name}",
        kind=spec.kind,  # type: ignore[arg-type]
        datamodule=datamodule,
        metrics=_metrics(spec),
        metric=metric,
        num_classes=spec.num_classes,
        capabilities=(("segmentation",) if spec.kind == "seg" else ("classification",))
        + spec.capabilities,
        modality="eo",
        dataset=spec.name,
        needs_data_root=True,
        description=f"GEO-Bench v1 {spec.benchmark}/{spec.name}",
    )


#: deep backbones of the geobench-v1 suite (model half of geoarena-eo) and the classical
#: baseline per task kind (none for multi-label)
SUITE_BACKBONES = ("eo/resnet18", "eo/vit-small")
SUITE_BASELINES = {"cls": "eo/lgbm-chip-stats", "seg": "eo/rf-pixels"}


def register() -> None:
    """Register the ``geobench-v1`` suites (needs ``--data-root``); the 12 tasks registered on
    import, beside ``make_task``."""
    try:
        from geoarena.core.suite import SuiteEntry, extend_suite
    except ImportError:
        return
    desc = "GEO-Bench v1: 12 tasks, benchmark partitions as label fractions, 5 seeds (needs --data-root)"
    full = {"epochs": 50, "batch_size": 32, "lr": 1e-4, "early_stop_patience": 10}
    quick = {"epochs": 1, "max_steps_per_epoch": 5}
    for spec in SPECS.values():
        task = f"eo/{spec.name}"
        extend_suite(
            "geobench-v1",
            SuiteEntry(
                task=task,
                models=SUITE_BACKBONES,
                protocols=("linear_probe", "finetune"),
                label_fractions=(0.01, 0.10, 1.0),
                seeds=(0, 1, 2, 3, 4),
                train=full,
                quick_train=quick,
            ),
            description=desc,
            needs_data_root=True,
        )
        # classical baselines have no frozen/fine-tuned distinction: a suite of their own
        if spec.kind in SUITE_BASELINES:
            extend_suite(
                "geobench-v1-classical",
                SuiteEntry(
                    task=task,
                    models=(SUITE_BASELINES[spec.kind],),
                    protocols=("finetune",),
                    label_fractions=(0.01, 0.10, 1.0),
                    seeds=(0, 1, 2, 3, 4),
                ),
                description="GEO-Bench v1 classical baselines (RF/LightGBM; needs --data-root)",
                needs_data_root=True,
            )
