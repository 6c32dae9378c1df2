"""RasterInfo: the typed data↔model contract of EO rasters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geoarena.core.errors import ConfigError
from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipArrays, ChipDataModule
from geoarena.eo.data.info import RasterInfo, raster_info


def test_values_are_normalised_to_tuples_and_checked_against_the_bands():
    info = RasterInfo(band_names=["red", "nir08"], mean=np.array([1, 2]), std=[3.0, 4.0])
    assert info.band_names == ("red", "nir08") and info.mean == (1.0, 2.0) and info.in_chans == 2
    hash(info)  # frozen and hashable: equal infos compare equal
    with pytest.raises(ValueError, match="2 band names but 3 mean values"):
        RasterInfo(band_names=("red", "nir08"), mean=(1.0, 2.0, 3.0))


def test_round_trip_through_json_keeps_every_field_and_ignores_unknown_keys():
    info = RasterInfo(("pan",), "dn_uint16", "zscore", (5.0,), (2.0,), ("bg", "fg"), 64, gsd=0.5)
    d = json.loads(json.dumps(info.to_dict()))
    assert RasterInfo.from_dict({**d, "wavelengths_um": [0.6]}) == info


def test_chip_datamodule_fills_what_the_chips_tell():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 1000, (6, 2, 8, 8)).astype(np.uint16)
    chips = ChipArrays(
        images, np.zeros((6, 8, 8), np.int64), np.array([0, 0, 0, 1, 2, 2]), np.arange(6)
    )
    dm = ChipDataModule(chips, "seg", RasterInfo(band_names=("red", "green"), input_unit="dn"))
    train = images[:3].astype(np.float64)
    assert dm.info.mean == pytest.approx(train.mean((0, 2, 3)))
    assert (dm.info.chip_size, dm.info.n_time_steps, dm.info.ignore_index) == (8, 1, IGNORE_INDEX)
    assert dm.describe() == {"input_unit": "dn", "normalization": "zscore_train_band_stats"}


def test_an_eo_model_on_other_data_gets_one_clear_line():
    class Other:
        info = {"in_chans": 3}

    with pytest.raises(ConfigError, match=r"model eo/x reads EO raster data.*info is dict"):
        raster_info(Other(), "eo/x")
