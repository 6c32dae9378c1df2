"""GeoArena's tortilla reading (tacoreader listing, rasterio pixels) against files written by
tacotoolbox 0.5.2/pytortilla 0.5.1.

``tests/data/geobench2/make_data.py`` wrote every fixture with GEO-Bench-2's own writer stack
and recorded in ``expected.json`` what tacoreader 0.5.6 resolved (splits, extra test flag, item
offsets/lengths, labels) and each item's array as written (shape, dtype, SHA-256 of the writer's
array, independent of any reader). What the data module reads must agree on all of it, for single
files and multi-part (``*.000N.part.tortilla``) ones.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.eo.geobench2.tortilla import dataset_files, open_tortilla

DATA = Path(__file__).parent / "data" / "geobench2"
DATASETS = sorted(p.name for p in DATA.iterdir() if (p / "expected.json").exists())
MULTI_PART = {"biomassters", "dynamic_earthnet", "pastis", "spacenet2"}


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def test_all_fixture_datasets_present():
    # 18 folders: pastis_r reads the pastis files (instance labels of the same samples)
    assert len(DATASETS) == 18
    for name in MULTI_PART:
        assert len(dataset_files(DATA / name, f"geobench_{name}")) >= 2, name


@pytest.mark.parametrize("name", DATASETS)
def test_reads_back_what_was_written(name):
    expected = json.loads((DATA / name / "expected.json").read_text())
    files = dataset_files(DATA / name, f"geobench_{name}")
    assert [p.name for p in files] == sorted(expected["files"])
    samples = open_tortilla(files)
    assert [s.id for s in samples] == [e["id"] for e in expected["samples"]]
    n_arrays = 0
    for sample, exp in zip(samples, expected["samples"], strict=True):
        assert sample.split == exp["split"]
        assert sample.extra_test == exp["add_test_split"]
        assert [i.id for i in sample.items] == [e["id"] for e in exp["items"]]
        for col, value in exp["item_columns"].items():
            assert sample.column(col) == value, (sample.id, col)
        for item, e in zip(sample.items, exp["items"], strict=True):
            assert (item.file_format, item.offset, item.length, item.path.name) == (
                e["file_format"],
                e["offset"],
                e["length"],
                e["file"],
            )
            if "array" not in e:
                continue
            if item.file_format == "GTiff":
                arr, crs, transform = item.open_raster()
                assert crs == e["crs"]
                if e["transform"] is not None:
                    assert transform == pytest.approx(tuple(e["transform"]))
            else:
                arr = item.read_hdf5("data")
            assert list(arr.shape) == e["array"]["shape"]
            assert str(arr.dtype) == e["array"]["dtype"]
            assert _digest(arr) == e["array"]["sha256"]
            n_arrays += 1
    assert n_arrays >= len(samples)


def test_splits_and_extra_test_set():
    samples = open_tortilla(dataset_files(DATA / "benv2", "geobench_benv2"))
    counts = {}
    for s in samples:
        key = "extra_test" if s.extra_test else s.split
        counts[key] = counts.get(key, 0) + 1
    assert counts == {"train": 4, "validation": 2, "test": 2, "extra_test": 1}


def test_annotations_read_from_hdf5_and_parquet():
    cattle = open_tortilla(dataset_files(DATA / "nzcattle", "geobench_nzcattle"))[0]
    boxes = cattle.item(1).read_hdf5_json_attr("annotation")["boxes"]
    assert boxes and all(len(b["bbox"]) == 4 for b in boxes)
    birds = open_tortilla(dataset_files(DATA / "everwatch", "geobench_everwatch"))[0]
    table = birds.item("annotations").read_parquet()
    assert set(table) >= {"xmin", "ymin", "xmax", "ymax", "label"}


def test_bad_files_name_the_file(tmp_path):
    bad = tmp_path / "x.tortilla"
    bad.write_bytes(b"PK" + bytes(300))
    with pytest.raises(DataError, match=r"x\.tortilla.*not a tortilla"):
        open_tortilla(bad)
    src = (DATA / "caffe" / "geobench_caffe.tortilla").read_bytes()
    cut = tmp_path / "cut.tortilla"
    cut.write_bytes(src[: len(src) - 50])
    with pytest.raises(DataError, match=r"cut\.tortilla.*truncated"):
        open_tortilla(cut)
    with pytest.raises(DataError, match="looked in"):
        dataset_files(tmp_path, "geobench_caffe")


def test_a_part_that_cannot_be_read_fails_loudly(tmp_path):
    # tacoreader 0.5.6 prints and skips a part it cannot read; the reader must not lose samples
    parts = dataset_files(DATA / "pastis", "geobench_pastis")
    for p in parts:
        shutil.copy(p, tmp_path / p.name)
    broken = tmp_path / parts[1].name
    broken.write_bytes(b"PK" + bytes(300))
    with pytest.raises(DataError, match=rf"{broken.name}.*could not read this part"):
        open_tortilla(dataset_files(tmp_path, "geobench_pastis"))
