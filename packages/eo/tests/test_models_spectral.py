"""SatMAE-style spectral groups and the wavelength-conditioned (DOFA/Clay-style) ViT."""

from __future__ import annotations

import pytest
import torch

from geoarena.core.errors import ConfigError
from geoarena.eo.models.satmae import SatMAEEncoder, spectral_groups
from geoarena.eo.models.testing import S2_13
from geoarena.eo.models.wavelength_vit import WavelengthViTEncoder

TINY = {"embed_dim": 32, "depth": 2, "num_heads": 2, "patch_size": 8}


def test_sentinel2_bands_split_into_visible_rededge_nir_and_swir_groups():
    assert spectral_groups(S2_13) == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9], [10, 11, 12]]
    assert spectral_groups(("red", "nir", "VV")) == [[0], [1], [2]]


def test_one_wavelength_vit_runs_on_sentinel2_landsat_and_rgb_with_the_same_weights(tmp_path):
    torch.manual_seed(0)
    enc = WavelengthViTEncoder(S2_13, **TINY).eval()
    path = tmp_path / "wvit.pt"
    torch.save(enc.state_dict(), path)
    landsat = WavelengthViTEncoder(
        ("L8:B2", "L8:B3", "L8:B4", "L8:B5", "L8:B6", "L8:B7"), **TINY
    ).eval()
    report = landsat.load_pretrained(path, S2_13, ("L8:B2",))
    assert report["missing"] == [] and report["unexpected"] == []
    with torch.no_grad():
        assert enc.forward_pooled(torch.randn(2, 13, 32, 32)).shape == (2, 32)
        assert landsat.forward_pooled(torch.randn(2, 6, 32, 32)).shape == (2, 32)
        rgb = torch.randn(1, 3, 32, 32)
        out = enc.forward_pooled(rgb, {"wavelengths": torch.tensor([0.665, 0.56, 0.49])})
        assert out.shape == (1, 32)


def test_generated_kernels_depend_on_wavelength_and_match_for_equal_wavelengths():
    torch.manual_seed(0)
    enc = WavelengthViTEncoder(("red", "nir"), **TINY)
    w, _ = enc.patch_embed.kernel(torch.tensor([0.665, 0.842, 0.665]))
    assert w.shape == (32, 3, 8, 8)
    assert torch.allclose(w[:, 0], w[:, 2]) and not torch.allclose(w[:, 0], w[:, 1])


def test_metadata_changes_tokens_gsd_time_location():
    torch.manual_seed(0)
    enc = WavelengthViTEncoder(("red", "green", "blue"), **TINY).eval()
    x = torch.randn(1, 2, 3, 32, 32)
    base = {
        "temporal_coords": torch.tensor([[[2020.0, 10.0], [2020.0, 200.0]]]),
        "location_coords": torch.tensor([[40.0, -100.0]]),
    }
    with torch.no_grad():
        ref = enc.forward_pooled(x, base)
        assert not torch.allclose(ref, enc.forward_pooled(x, {**base, "gsd": 30.0}))
        assert not torch.allclose(
            ref, enc.forward_pooled(x, {**base, "location_coords": torch.tensor([[-10.0, 20.0]])})
        )
        feats = enc.forward_features(x, base)
    assert [tuple(f.shape) for f in feats] == [(1, 32, 4, 4)] * 2


def test_channels_without_a_wavelength_are_refused():
    enc = WavelengthViTEncoder(("red", "dem"), **TINY)
    with pytest.raises(ConfigError, match="wavelength for every band"):
        enc.forward_pooled(torch.randn(1, 2, 32, 32))


def test_satmae_tokens_per_group_and_time_step():
    torch.manual_seed(0)
    enc = SatMAEEncoder(S2_13, **TINY)
    x = torch.randn(2, 3, 13, 32, 32)  # 3 time steps
    tokens, layout = enc.tokenize(
        x, {"temporal_coords": torch.tensor([[[2020.0, 1.0], [2020.0, 90.0], [2020.0, 180.0]]] * 2)}
    )
    assert layout == (9, 4, 4) and tokens.shape == (2, 9 * 16, 32)
    feats = enc.forward_features(x)
    assert [tuple(f.shape) for f in feats] == [(2, 32, 4, 4)] * 2
    feats[-1].mean().backward()
    assert all(p.grad is not None for p in enc.patch_embed.parameters())


def test_satmae_groups_must_cover_every_band_once():
    with pytest.raises(ConfigError, match="cover each"):
        SatMAEEncoder(("red", "green", "nir"), groups=[[0, 1]], **TINY)
