"""The batched GEO-Bench reader (``__getitems__``) equals stacking per-sample reads, bit for bit,
in the main thread and in loader workers, and falls back where its fast path does not apply."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from geoarena.core.errors import DataError
from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext
from geoarena.eo.data.geobench_batch import read_batch
from geoarena.eo.data.geobench_specs import SPECS
from geoarena.train.dataloading import settings_for

from .conftest import load_generator


@pytest.fixture(scope="module")
def geobench_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("geobench_batch")
    load_generator("geobench").make_geobench(root)
    return root


def _module(root, name):
    return TASKS.get(f"eo/{name}").datamodule(DataContext(data_root=root))


def _stacked(ds, positions):
    items = [ds[p] for p in positions]
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_batched_fetch_equals_stacked_samples_for_every_dataset(geobench_root, name):
    dm = _module(geobench_root, name)
    ds = dm.split_dataset("train")
    positions = [5, 0, 3, 7]
    got, want = ds.__getitems__(positions), _stacked(ds, positions)
    assert set(got) == set(want)
    for key in want:
        assert got[key].dtype == want[key].dtype and got[key].shape == want[key].shape, key
        assert torch.equal(got[key], want[key]), key  # bit-identical, not approximately


def test_fast_path_covers_single_resolution_layouts_and_falls_back_otherwise(geobench_root):
    eurosat = _module(geobench_root, "m-eurosat")
    out = np.empty((2, len(eurosat.info.band_names), 8, 8), np.float32)
    assert read_batch(eurosat, ["id_0000", "id_0001"], out) is not None
    # m-NeonTree mixes band sizes (load() resamples them): the fast path declines
    neon = _module(geobench_root, "m-NeonTree")
    out = np.empty((1, len(neon.info.band_names), 8, 8), np.float32)
    assert read_batch(neon, ["id_0001"], out) is None


def test_worker_batches_equal_main_thread_batches(geobench_root):
    dm = _module(geobench_root, "m-eurosat")
    dm.set_epoch(3)
    main = [b for b in dm.loader("train", 3, shuffle=True)]
    dm.configure_loading(settings_for(2, 2, "cpu"))
    dm.set_epoch(3)
    workers = [b for b in dm.loader("train", 3, shuffle=True)]
    dm.reset_loaders()
    assert [b["index"].tolist() for b in main] == [b["index"].tolist() for b in workers]
    assert sum(len(b["index"]) for b in main) == 8
    for a, b in zip(main, workers, strict=True):
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"])


def test_missing_band_and_corrupt_file_name_the_file(geobench_root, tmp_path):
    dm = _module(geobench_root, "m-eurosat")
    sample = dm._path("id_0002")
    with h5py.File(sample, "r") as src, h5py.File(tmp_path / "id_0002.hdf5", "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        for key in list(src)[1:]:  # drop the first band
            dst.create_dataset(key, data=src[key][()])
    dm.dir = tmp_path
    out = np.empty((1, len(dm.info.band_names), 8, 8), np.float32)
    with pytest.raises(DataError, match="missing") as err:
        read_batch(dm, ["id_0002"], out)
    assert "id_0002.hdf5" in str(err.value)
    (tmp_path / "id_0003.hdf5").write_bytes(b"not an hdf5 file")
    with pytest.raises(DataError, match="corrupt HDF5") as err:
        read_batch(dm, ["id_0003"], out)
    assert "id_0003.hdf5" in str(err.value)
