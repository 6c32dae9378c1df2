"""A pretrained card refuses data in other units or with other statistics unless overridden."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.core.model import ModelCard
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.provenance import check_input_matches_card, normalisation_record, renormalise

CARD = ModelCard(
    name="eo/pretrained",
    bands=("B02", "B03", "B04"),
    mean=(1000.0, 1100.0, 1200.0),
    std=(300.0, 300.0, 300.0),
    input_unit="reflectance_x10000",
)
INFO = RasterInfo(
    band_names=("B02", "B03", "B04", "B08"),
    mean=(1050.0, 1150.0, 1100.0, 2500.0),
    std=(280.0, 310.0, 350.0, 600.0),
    input_unit="reflectance_x10000",
    normalization="zscore_geobench_band_stats",
)


def test_matching_data_passes_and_is_recorded():
    rec = check_input_matches_card(CARD, INFO)
    assert rec.status == "ok" and rec.problems == []
    params = rec.as_params()
    assert params["data.input_unit"] == "reflectance_x10000"
    assert (
        params["data.normalization"] == "zscore_geobench_band_stats"
        and params["data.card_mean"][0] == 1000.0
    )


def test_unit_mismatch_is_refused_unless_overridden():
    info = replace(INFO, input_unit="uint8")
    with pytest.raises(DataError, match="input unit 'uint8' differs"):
        check_input_matches_card(CARD, info)
    rec = check_input_matches_card(CARD, info, allow_mismatch=True)
    assert rec.status.startswith("overridden: input unit")


def test_statistics_far_from_the_card_are_refused():
    info = replace(INFO, mean=(0.1, 0.1, 0.1, 0.2), std=(0.05, 0.05, 0.05, 0.05))  # 0-1 reflectance
    with pytest.raises(DataError) as err:
        check_input_matches_card(CARD, info)
    assert "band B02: data mean 0.1" in str(err.value) and "data std" in str(err.value)
    info2 = replace(INFO, band_names=("VV", "VH"), mean=INFO.mean[:2], std=INFO.std[:2])
    with pytest.raises(DataError, match="none of the card's bands"):
        check_input_matches_card(CARD, info2)


def test_card_without_stats_records_that_and_renormalise_roundtrips():
    rec = check_input_matches_card(ModelCard(name="eo/random"), INFO)
    assert rec.status == "no_card_stats"
    assert normalisation_record(INFO).band_names == INFO.band_names
    raw = np.array([1000.0, 1100.0, 1200.0], np.float32).reshape(3, 1, 1) + 300
    z_data = (raw - np.array(INFO.mean[:3]).reshape(3, 1, 1)) / np.array(INFO.std[:3]).reshape(
        3, 1, 1
    )
    z_card = renormalise(z_data, INFO.mean[:3], INFO.std[:3], CARD.mean, CARD.std)
    np.testing.assert_allclose(z_card.ravel(), [1.0, 1.0, 1.0], rtol=1e-5)
