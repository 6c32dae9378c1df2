"""Batched reading of GEO-Bench v1 samples: the loader pipeline's ``__getitems__`` path.

``GeoBenchDataModule.load`` reads one sample through h5py's high-level API, stacks its planes,
converts and normalises it; the pipeline then stacks the samples of a batch again. Profiled on
the 13-band ``m-eurosat`` layout, most of that time is h5py's per-dataset Python objects and the
two stacks, not HDF5 itself. Here each band is read with h5py's low-level ``H5Dread`` straight into
its slot of one preallocated float32 batch (HDF5 converts the stored integers on the way), and the
batch is normalised once. Values are bit-identical to ``load`` (integer → float32 is exact and the
normalisation is the same float32 arithmetic); samples this path does not cover (bands stored as
``(H, W, C)``, bands of different sizes that ``load`` resamples, float64 storage whose rounding
HDF5 would do) make the batch fall back to ``load`` per sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.eo.data.geobench_format import read_sample_attrs

if TYPE_CHECKING:  # pragma: no cover
    from geoarena.eo.data.geobench import GeoBenchDataModule


def _exact_to_float32(dtype: np.dtype) -> bool:
    """Whether HDF5's conversion of ``dtype`` to float32 equals numpy's ``astype`` exactly."""
    return (dtype.kind in "iu" and dtype.itemsize <= 2) or dtype == np.float32


def _read_planes(fp: Any, keys: Sequence[str], dest: np.ndarray, path: Path) -> bool:
    """Read band ``keys`` of an open sample into ``dest[j]``; False if the fast path cannot."""
    import h5py

    for j, key in enumerate(keys):
        if key not in fp:
            raise DataError(f"band {key!r} missing (expected bands {list(keys)})", path)
        dsid = h5py.h5d.open(fp.id, key.encode())
        if tuple(dsid.shape) != dest.shape[1:] or not _exact_to_float32(dsid.dtype):
            return False
        dsid.read(h5py.h5s.ALL, h5py.h5s.ALL, dest[j])
    return True


def read_batch(module: GeoBenchDataModule, names: Sequence[str], image: np.ndarray) -> list | None:
    """Fill ``image`` (float32, C-contiguous, :func:`batch_shape`) with the normalised samples
    ``names`` and return their targets, or None when a sample needs ``module.load``."""
    import h5py

    image = image.reshape(len(names), -1, *image.shape[-2:])  # a view: (B, T·C, H, W)
    if len(module.band_keys) != image.shape[1]:
        return None  # bands stored as (H, W, C): load() expands them
    seg = module.spec.kind == "seg"
    targets: list[Any] = []
    for i, name in enumerate(names):
        path = module._path(name)
        if not path.exists():
            raise DataError("GEO-Bench sample file does not exist", path)
        try:
            with h5py.File(path, "r") as fp:
                attrs = read_sample_attrs(fp, path)
                if not _read_planes(fp, module.band_keys, image[i], path):
                    return None
                if seg:
                    label_key = next((k for k in fp if k.startswith("label")), None)
                    if label_key is None:
                        raise DataError("segmentation sample has no 'label' band", path)
                    targets.append(np.asarray(fp[label_key]).squeeze().astype(np.int64))
                else:
                    if "label" not in attrs:
                        raise DataError("classification sample has no 'label' attribute", path)
                    targets.append(np.asarray(attrs["label"]).astype(np.int64))
        except OSError as exc:
            raise DataError(f"corrupt HDF5 sample ({exc})", path) from exc
    b, _, h, w = image.shape
    t = max(len(module.dates), 1)
    view = image.reshape(b, t, len(module.band_names), h, w)
    np.subtract(view, module._mean, out=view)
    np.divide(view, module._std, out=view)
    return targets


def batch_shape(module: GeoBenchDataModule, n: int) -> tuple[int, ...]:
    """Shape of a batch of ``n`` samples at the dataset's stored chip size, as ``load`` stacks
    them: ``(n, C, H, W)``, or ``(n, T, C, H, W)`` for multi-date samples."""
    t, c, side = len(module.dates), len(module.band_names), module.info.chip_size
    return (n, t, c, side, side) if t > 1 else (n, c, side, side)
