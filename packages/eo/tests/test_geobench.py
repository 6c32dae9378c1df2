"""GEO-Bench v1 reader on fixtures written in the benchmark's exact on-disk format."""

from __future__ import annotations

import json
import pickle

import h5py
import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.core.registry import SUITES, TASKS
from geoarena.core.task import DataContext
from geoarena.eo.data.geobench_format import read_sample, read_task_specs
from geoarena.eo.data.geobench_specs import SPECS, canonical_band_name

from .conftest import load_generator


@pytest.fixture(scope="module")
def geobench_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("geobench")
    load_generator("geobench").make_geobench(root)
    return root


def test_all_twelve_tasks_are_registered_and_need_a_data_root():
    names = {f"eo/{n}" for n in SPECS}
    assert len(names) == 12 and names <= set(TASKS.names("eo/m-"))
    task = TASKS.get("eo/m-eurosat")
    assert task.needs_data_root and task.num_classes == 10
    with pytest.raises(DataError, match="--data-root"):
        task.datamodule(DataContext(data_root=None))
    suite = SUITES.get("geobench-v1")
    assert suite.needs_data_root and {e.task for e in suite.entries} == names
    classical = SUITES.get("geobench-v1-classical")
    assert {e.task for e in classical.entries} == names - {"eo/m-bigearthnet"}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_dataset_loads_with_its_partitions_and_band_stats(geobench_root, name):
    spec = SPECS[name]
    dm = TASKS.get(f"eo/{name}").datamodule(DataContext(data_root=geobench_root))
    dm.setup(1.0, 0)
    assert (dm.num_samples("train"), dm.num_samples("val"), dm.num_samples("test")) == (8, 2, 2)
    batch = next(iter(dm.loader("train", 3, shuffle=False)))
    image = batch["image"].numpy()
    assert image.dtype == np.float32
    assert image.shape[-3:] == (len(dm.info.band_names), 8, 8)
    stats = json.loads((geobench_root / spec.benchmark / name / "band_stats.json").read_text())
    assert len(dm.info.mean) == image.shape[-3]
    if spec.kind == "seg":
        assert batch["mask"].shape == (3, 8, 8) and batch["mask"].max() < spec.num_classes
    elif spec.kind == "multilabel":
        assert batch["label"].shape == (3, 43) and batch["label"].sum(1).tolist() == [2, 2, 2]
    else:
        # the fixture's i-th sample has class i % n_classes
        assert batch["label"].tolist() == [i % spec.num_classes for i in range(3)]
    # first band normalised by band_stats.json
    first = next(iter(stats))
    assert dm.info.mean[0] == pytest.approx(stats[first]["mean"])
    # benchmark partitions are the label fractions; val/test stay the default ones
    dm.setup(0.5, 0)
    assert dm.num_samples("train") == 4 and dm.num_samples("val") == 2
    dm.setup(0.01, 0)
    assert dm.num_samples("train") == 1
    with pytest.raises(DataError, match="partitions for label fractions"):
        dm.setup(0.3, 0)


def test_normalised_values_match_band_stats(geobench_root):
    dm = TASKS.get("eo/m-eurosat").datamodule(DataContext(data_root=geobench_root))
    d = geobench_root / "classification_v1.0" / "m-eurosat"
    arrays, attrs = read_sample(d / "id_0000.hdf5")
    stats = json.loads((d / "band_stats.json").read_text())
    img, label = dm.load("id_0000")
    raw = arrays["04 - Red"].astype(np.float32)
    np.testing.assert_allclose(
        img[3], (raw - stats["04 - Red"]["mean"]) / stats["04 - Red"]["std"], rtol=1e-5
    )
    assert label == 0 and attrs["bands_order"][3] == "04 - Red"
    assert dm.info.band_names[3] == "B04" and dm.info.band_names[8] == "B8A"


def test_multi_date_samples_become_time_series(geobench_root):
    dm = TASKS.get("eo/m-cashew-plant").datamodule(DataContext(data_root=geobench_root))
    assert dm.info.n_time_steps == 2
    batch = next(iter(dm.loader("test", 2)))
    assert batch["image"].shape == (2, 2, 13, 8, 8)


def test_mixed_resolution_bands_are_resampled(geobench_root):
    dm = TASKS.get("eo/m-NeonTree").datamodule(DataContext(data_root=geobench_root))
    assert (
        dm.info.band_names[:4] == ("red", "green", "blue", "Neon_000")
        and len(dm.info.band_names) == 9
    )
    img, mask = dm.load("id_0001")
    assert img.shape == (9, 8, 8) and mask.shape == (8, 8)


def test_task_specs_are_read_without_geobench_and_without_executing_code(geobench_root):
    specs = read_task_specs(geobench_root / "classification_v1.0" / "m-forestnet")
    assert specs.geobench_class == "TaskSpecifications" and tuple(specs.patch_size) == (8, 8)
    assert [canonical_band_name(b.name, b.geobench_class) for b in specs.bands_info][:3] == [
        "blue",
        "green",
        "red",
    ]
    bad = geobench_root / "evil_task_specs"
    bad.mkdir()

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (bad / "task_specs.pkl").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(DataError, match="not allowed"):
        read_task_specs(bad)


def test_corrupt_and_incomplete_samples_raise_data_error(geobench_root, tmp_path):
    broken = tmp_path / "broken.hdf5"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(DataError, match="corrupt HDF5") as err:
        read_sample(broken)
    assert "broken.hdf5" in str(err.value)
    no_attr = tmp_path / "no_attr.hdf5"
    with h5py.File(no_attr, "w") as fp:
        fp.create_dataset("Red", data=np.zeros((2, 2)))
    with pytest.raises(DataError, match="'pickle' attribute"):
        read_sample(no_attr)


def test_eurosat_folder_format(tmp_path):
    load_generator("eurosat").make_eurosat(tmp_path)
    dm = TASKS.get("eo/eurosat").datamodule(DataContext(data_root=tmp_path))
    dm.setup(1.0, 0)
    assert (dm.num_samples("train"), dm.num_samples("val"), dm.num_samples("test")) == (30, 10, 10)
    batch = next(iter(dm.loader("test", 10, shuffle=False)))
    assert batch["image"].shape == (10, 13, 8, 8) and dm.info.band_names[3] == "B04"
    assert sorted(batch["label"].tolist()) == list(range(10))  # one test image per class
    (tmp_path / "EuroSAT_MS" / "Forest" / "Forest_1.tif").write_bytes(b"II*\0broken")
    with pytest.raises(DataError, match=r"Forest_1\.tif"):
        TASKS.get("eo/eurosat").datamodule(DataContext(data_root=tmp_path))


#: the folder names of the real GEO-Bench v1 download (as TerraTorch's readers expect them)
REAL_FOLDERS = {
    "classification_v1.0": {
        "m-bigearthnet", "m-brick-kiln", "m-eurosat", "m-forestnet", "m-pv4ger", "m-so2sat",
    },
    "segmentation_v1.0": {
        "m-cashew-plant", "m-chesapeake", "m-NeonTree", "m-nz-cattle", "m-pv4ger-seg",
        "m-SA-crop-type",
    },
}  # fmt: skip


def test_fixture_tree_has_the_real_folder_names_and_runs_from_the_benchmark_root(geobench_root):
    for bench, names in REAL_FOLDERS.items():
        assert {p.name for p in (geobench_root / bench).iterdir()} == names
    assert {s.name for s in SPECS.values()} == set().union(*REAL_FOLDERS.values())
    for name in ("m-cashew-plant", "m-chesapeake"):
        dm = TASKS.get(f"eo/{name}").datamodule(DataContext(data_root=geobench_root))
        assert dm.dir == geobench_root / "segmentation_v1.0" / name
        assert next(iter(dm.loader("train", 2)))["mask"].shape[0] == 2


def test_data_root_may_be_a_benchmark_or_dataset_folder_or_use_old_names(geobench_root, tmp_path):
    seg = geobench_root / "segmentation_v1.0"
    task = TASKS.get("eo/m-chesapeake")
    assert task.datamodule(DataContext(data_root=seg)).dir == seg / "m-chesapeake"
    assert task.datamodule(DataContext(data_root=seg / "m-chesapeake")).dir == seg / "m-chesapeake"
    (tmp_path / "m-chesapeake-landcover").symlink_to(seg / "m-chesapeake")
    assert task.datamodule(DataContext(data_root=tmp_path)).dir.name == "m-chesapeake-landcover"


def test_unknown_layout_lists_what_was_looked_for(geobench_root, tmp_path):
    task = TASKS.get("eo/m-cashew-plant")
    with pytest.raises(DataError, match=r"looked for .*segmentation_v1\.0/m-cashew-plant"):
        task.datamodule(DataContext(data_root=tmp_path))
    # another dataset's folder is not this dataset
    other = geobench_root / "classification_v1.0" / "m-eurosat"
    with pytest.raises(DataError, match="m-cashew-plantation"):
        task.datamodule(DataContext(data_root=other))
