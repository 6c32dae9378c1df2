"""Band names (geoarena.eo.bands): physical bands, the data band-name catalogue, and band
adaptation of pretrained input filters by name."""

from __future__ import annotations

import math

import pytest
import torch

from geoarena.core.errors import ConfigError
from geoarena.eo.bands import resolve_band, resolve_bands, wavelengths_um
from geoarena.eo.models.adaptation import adapt_input_weight, map_bands


@pytest.mark.parametrize(
    ("name", "key", "wavelength"),
    [
        ("B04", "sentinel2:B04", 0.665),
        ("S2:B8A", "sentinel2:B8A", 0.865),
        ("04 - Red", "sentinel2:B04", 0.665),
        ("08A - Vegetation Red Edge", "sentinel2:B8A", 0.865),
        ("10 - SWIR - Cirrus", "sentinel2:B10", 1.375),
        ("L8:B5", "landsat8:B5", 0.865),
        ("L7_B3", "landsat7:B3", 0.662),
        ("naip:N", "naip:N", 0.833),
        ("TM4", "landsat5:TM4", 0.830),
        ("swir1", "sentinel2:B11", 1.610),
        ("red", "rgb:red", 0.665),
    ],
)
def test_band_spellings_resolve_to_one_physical_band(name, key, wavelength):
    band = resolve_band(name)
    assert band.key == key
    assert band.wavelength_um == pytest.approx(wavelength)


def test_unknown_band_names_are_all_named_in_the_error():
    with pytest.raises(ConfigError, match=r"'B13'.*'ultraviolet'"):
        resolve_bands(["red", "B13", "ultraviolet"])


def test_wavelengths_follow_band_order():
    assert wavelengths_um(["blue", "S2:B12", "L8:B10"]) == pytest.approx([0.490, 2.190, 10.895])
    assert math.isnan(resolve_band("dem").wavelength_um)


def test_adaptation_copies_known_bands_and_seeds_unknown_with_scaled_mean():
    torch.manual_seed(0)
    w = torch.randn(8, 3, 3, 3)  # an RGB stem: slices in the order red, green, blue
    data_bands = ("B02", "B03", "B04", "B08", "B11", "B12")  # S2 blue, green, red, nir, swir
    mapping = map_bands(data_bands, ("red", "green", "blue"))
    assert mapping.source == (2, 1, 0, None, None, None)
    new = adapt_input_weight(w, mapping)
    assert new.shape == (8, 6, 3, 3)
    assert (
        torch.equal(new[:, 0], w[:, 2])
        and torch.equal(new[:, 1], w[:, 1])
        and torch.equal(new[:, 2], w[:, 0])
    )
    expected_unknown = w.mean(1) * (3 / 6)
    for i in (3, 4, 5):
        assert torch.allclose(new[:, i], expected_unknown)


def test_adaptation_matches_across_sensors_and_works_on_3d_patch_embeddings():
    w = torch.randn(16, 6, 1, 4, 4)  # Prithvi-style Conv3d weight over the six HLS bands
    card = ("blue", "green", "red", "nir08", "swir16", "swir22")
    mapping = map_bands(("L8:B4", "L8:B5", "S2:B08", "coastal"), card)
    assert mapping.source == (2, 3, 3, None)  # S2 broad NIR reuses the narrow-NIR filter
    new = adapt_input_weight(w, mapping)
    assert new.shape == (16, 4, 1, 4, 4)
    assert torch.equal(new[:, 1], w[:, 3])
    assert torch.allclose(new[:, 3], w.mean(1) * 6 / 4)


def test_adaptation_refuses_a_checkpoint_with_another_band_count():
    with pytest.raises(ConfigError, match="has 4 bands but the model card lists 3"):
        adapt_input_weight(torch.zeros(2, 4, 3, 3), map_bands(("red",), ("red", "green", "blue")))


def test_the_data_catalogue_refuses_unknown_and_duplicate_names_naming_the_file():
    from geoarena.core.errors import DataError
    from geoarena.eo.band_catalogue import check_band_names

    assert check_band_names(["red", "nir", "TM4"]) == ("red", "nir", "TM4")
    with pytest.raises(DataError, match=r"'ultraviolet'") as err:
        check_band_names(["red", "ultraviolet"], "scene.tif")
    assert "scene.tif" in str(err.value)
    with pytest.raises(DataError, match="duplicate"):
        check_band_names(["red", "red"])


def test_band_roles_follow_the_alias_order():
    from geoarena.eo.band_catalogue import band_index

    assert band_index(("B02", "B03", "B04", "B08", "B8A"), "nir") == 3  # B08 before B8A
    assert band_index(("TM1", "TM2", "TM3", "TM4"), "red") == 2
    assert band_index(("red", "green", "blue"), "nir") is None
    assert band_index(("pan",), "pan") == 0


def test_every_catalogue_name_is_a_physical_band_and_its_recorded_wavelength_is_kept():
    from geoarena.eo.band_catalogue import BAND_ALIASES, BAND_WAVELENGTHS
    from geoarena.eo.bands import same_band

    for name in BAND_WAVELENGTHS:
        resolve_band(name)  # raises for a name the model side would not understand
    for role, names in BAND_ALIASES.items():
        for name in names:
            assert same_band(resolve_band(name), resolve_band(role)), (role, name)
    # values the data side records in task info (unchanged by the merge)
    assert BAND_WAVELENGTHS["pan"] == 0.640 and BAND_WAVELENGTHS["VV"] == 0.0
    assert BAND_WAVELENGTHS["TM4"] == resolve_band("TM4").wavelength_um == 0.830
