"""The 19 GEO-Bench-2 tasks on the fixture tortillas: registration, splits, shapes, labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext
from geoarena.eo.bands import resolve_bands
from geoarena.eo.geobench2.datamodule import GB2DataModule, find_dataset_files
from geoarena.eo.geobench2.specs import DIMENSIONS, SPECS
from geoarena.eo.geobench2.tasks import task_name
from geoarena.eo.geobench2.tortilla import dataset_files, open_tortilla

DATA = Path(__file__).parent / "data" / "geobench2"
LEADERBOARD_DATASETS = {
    "biomassters",
    "so2sat",
    "forestnet",
    "benv2",
    "treesatai",
    "kuro_siwo",
    "dynamic_earthnet",
    "pastis",
    "burn_scars",
    "spacenet2",
    "cloudsen12",
    "fotw",
    "caffe",
    "flair2",
    "spacenet7",
    "substation",
    "everwatch",
    "nzcattle",
    "pastis_r",
}


def test_nineteen_tasks_registered_with_leaderboard_groups():
    assert set(SPECS) == LEADERBOARD_DATASETS
    for name, spec in SPECS.items():
        task = TASKS.get(task_name(name))
        assert task.dataset_name == name and task.needs_data_root
        assert task.capabilities == spec.capabilities
        resolve_bands(spec.canonical)  # every channel name is a known physical band
        assert len(spec.canonical) == len(spec.bands)
    # every dataset sits in at least one leaderboard group; Core has 12 datasets
    assert set().union(*DIMENSIONS.values()) == LEADERBOARD_DATASETS
    assert len(DIMENSIONS["Core"]) == 12


@pytest.mark.parametrize("name", sorted(SPECS))
def test_datamodule_batches(name):
    spec = SPECS[name]
    task = TASKS.get(task_name(name))
    dm = task.datamodule(DataContext(data_root=DATA))
    assert (dm.num_samples("train"), dm.num_samples("val"), dm.num_samples("test")) == (4, 2, 2)
    assert len(dm.sample_names("extra_test")) == 1
    batch = next(iter(dm.loader("train", 3, shuffle=False)))
    img = batch["image"]
    expect = (3, spec.time_steps, len(spec.bands)) if spec.time_steps > 1 else (3, len(spec.bands))
    assert tuple(img.shape[: len(expect)]) == expect
    assert np.isfinite(img.numpy()).all()
    metric = task.metrics()
    if spec.kind in ("cls", "seg"):
        key = "label" if spec.kind == "cls" else "mask"
        y = batch[key].numpy()
        valid = y[y != (spec.ignore_index if spec.ignore_index is not None else -1)]
        assert valid.min() >= 0 and valid.max() < spec.num_classes
    elif spec.kind == "multilabel":
        assert batch["label"].shape == (3, spec.num_classes)
        assert set(np.unique(batch["label"].numpy())) <= {0, 1}
    elif spec.kind == "regression":
        assert (
            batch["mask"].shape == (3, 16, 16) and batch["valid"].dtype.is_floating_point is False
        )
    else:
        assert all(b.shape[-1] == 4 for b in batch["boxes"])
        assert all(int(lab.max()) < spec.num_classes for lab in batch["labels"] if len(lab))
    assert metric is not None


def _expected(name):
    return json.loads((DATA / name / "expected.json").read_text())["samples"]


def test_label_construction_follows_the_published_classes():
    dm = GB2DataModule(find_dataset_files(DATA, SPECS["flair2"]), SPECS["flair2"])
    s = dm.by_split["train"][0]
    raw = s.item(1).read_raster()[0].astype(int)
    assert np.array_equal(dm.load(s)["mask"], np.minimum(raw, 13) - 1)  # >13 → other, then -1
    dm = GB2DataModule(find_dataset_files(DATA, SPECS["kuro_siwo"]), SPECS["kuro_siwo"])
    s = dm.by_split["train"][0]
    raw = s.item(4).read_raster()[0]
    assert np.array_equal(dm.load(s)["mask"], np.array([1, 2, 3, 0])[raw])
    dm = GB2DataModule(find_dataset_files(DATA, SPECS["benv2"]), SPECS["benv2"])
    s = dm.by_split["train"][0]
    names = next(e for e in _expected("benv2") if e["id"] == s.id)["item_columns"]["labels"]
    assert int(dm.load(s)["label"].sum()) == len(names)
    dm = GB2DataModule(find_dataset_files(DATA, SPECS["nzcattle"]), SPECS["nzcattle"])
    s = dm.by_split["train"][0]
    ann = s.item(1).read_hdf5_json_attr()["boxes"][0]["bbox"]
    x, y, w, h = ann
    assert dm.load(s)["boxes"][0].tolist() == [x, y, x + w, y + h]


def test_zscore_uses_published_stats():
    spec = SPECS["caffe"]
    dm = GB2DataModule(find_dataset_files(DATA, spec), spec)
    s = dm.by_split["val"][0]
    raw = s.item(0).read_raster("float32")
    assert np.allclose(dm.load(s)["image"], (raw - 62.682498931884766) / 79.8001937866211)


def test_data_root_may_be_the_dataset_folder_and_errors_list_what_was_looked_for(tmp_path):
    spec = SPECS["caffe"]
    assert find_dataset_files(DATA / "caffe", spec) == dataset_files(DATA / "caffe", spec.stem)
    with pytest.raises(DataError, match=r"looked in .*caffe"):
        find_dataset_files(tmp_path, spec)
    with pytest.raises(DataError, match="--data-root"):
        find_dataset_files(None, spec)
    assert len(open_tortilla(find_dataset_files(DATA, SPECS["pastis_r"]))) == 9


def _stats_file(root, scheme, dataset, bands, mean, std, **extra):
    import json as _json

    d = root / f"dataset_stats_{scheme}" / dataset
    d.mkdir(parents=True)
    body = {"band_names": list(bands), "mean": mean, "std": std, **extra}
    (d / f"{dataset}_stats.json").write_text(_json.dumps({"input_stats": {"image": body}}))


def test_clip_rescale_and_satmae_follow_the_published_formulas(tmp_path, monkeypatch):
    spec = SPECS["caffe"]
    _stats_file(tmp_path, "clip_rescale", "caffe", ["gray"], [60.0], [80.0],
                clip_min_used=-10.0, clip_max_used=200.0)  # fmt: skip
    _stats_file(tmp_path, "satmae", "caffe", ["gray"], [60.0], [40.0])
    monkeypatch.setenv("GEOARENA_GB2_STATS_DIR", str(tmp_path))
    monkeypatch.setenv("GEOARENA_GB2_NORMALIZATION", "clip_rescale")
    dm = GB2DataModule(find_dataset_files(DATA, spec), spec)
    s = dm.by_split["val"][0]
    raw = s.item(0).read_raster("float32").astype(np.float64)
    # clip to [-10, 200], shift by 10, scale 210; z-score with (60 + 10) / 210, 80 / 210
    r = np.clip((np.clip(raw, -10, 200) + 10) / 210, 0, 1)
    assert np.allclose(dm.load(s)["image"], (r - 70 / 210) / (80 / 210 + 1e-6), atol=1e-5)
    assert dm.info.normalization == "clip_rescale_geobench2_published_stats"
    monkeypatch.setenv("GEOARENA_GB2_NORMALIZATION", "satmae")
    dm = GB2DataModule(find_dataset_files(DATA, spec), spec)
    # mean ± 2 std = [-20, 140]: shift by 20, rescale over 160
    expect = np.clip((raw + 20 - 0) / (160 + 1e-6), 0, 1)
    assert np.allclose(dm.load(s)["image"], expect, atol=1e-6)
    monkeypatch.delenv("GEOARENA_GB2_STATS_DIR")
    with pytest.raises(Exception, match="GEOARENA_GB2_STATS_DIR"):
        GB2DataModule(find_dataset_files(DATA, spec), spec)


@pytest.mark.parametrize("world", [2, 3])
def test_training_order_is_sharded_across_ddp_ranks(world, monkeypatch):
    # every rank used to train on the whole split (the same batches on every rank)
    import geoarena.train.dataloading as dataloading

    spec = SPECS["so2sat"]
    dm = GB2DataModule(find_dataset_files(DATA, spec), spec)
    dm.setup(1.0, seed=5)
    single = np.random.default_rng([5, 0]).permutation(dm.num_samples("train")).tolist()
    assert [int(i) for b in dm.loader("train", 3) for i in b["index"]] == single
    shards = []
    for rank in range(world):
        monkeypatch.setattr(dataloading, "current_shard", lambda r=rank: (r, world))
        dm.setup(1.0, seed=5)
        shards.append([int(i) for b in dm.loader("train", 1) for i in b["index"]])
    assert len({len(s) for s in shards}) == 1 and len(shards[0]) == -(-len(single) // world)
    padded = [i for k in range(len(shards[0])) for s in shards for i in s[k : k + 1]]
    assert padded[: len(single)] == single  # the union of the k-th micro-batches: the k-th batch
    monkeypatch.setattr(dataloading, "current_shard", lambda: (0, world))
    assert [int(i) for b in dm.loader("val", 8) for i in b["index"]] == [0, 1]  # eval: whole
