"""Prithvi-EO-2.0: published key layout loads with zero missing keys; multi-temporal shapes;
temporal/location encodings; band adaptation of the 3-D patch embedding; clear reports."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from geoarena.core.config import RunConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.eo.bands import HLS_BANDS
from geoarena.eo.models.prithvi import PRITHVI_CONFIGS, PrithviEncoder, PrithviMAE
from geoarena.eo.models.prithvi_weights import load_prithvi_weights
from geoarena.eo.models.testing import TinyEOData, tiny_task
from geoarena.eo.models.zoo import prithvi_adapter

PROTOCOLS = {p.name: p for p in STANDARD_PROTOCOLS}


def published_layout(
    embed=64,
    depth=4,
    dec=32,
    dec_depth=1,
    chans=6,
    patch=(1, 8, 8),
    grid=(1, 4, 4),
    coords=False,
    seed=0,
):
    """A state dict with the key names and shapes of the published Prithvi-EO-2.0 checkpoints,
    written out from the reference implementation's module tree (not from our model)."""
    g = torch.Generator().manual_seed(seed)
    n = grid[0] * grid[1] * grid[2] + 1

    def r(*shape):
        return torch.randn(*shape, generator=g) * 0.02

    def block(prefix, d):
        return {
            f"{prefix}.norm1.weight": torch.ones(d),
            f"{prefix}.norm1.bias": r(d),
            f"{prefix}.attn.qkv.weight": r(3 * d, d),
            f"{prefix}.attn.qkv.bias": r(3 * d),
            f"{prefix}.attn.proj.weight": r(d, d),
            f"{prefix}.attn.proj.bias": r(d),
            f"{prefix}.norm2.weight": torch.ones(d),
            f"{prefix}.norm2.bias": r(d),
            f"{prefix}.mlp.fc1.weight": r(4 * d, d),
            f"{prefix}.mlp.fc1.bias": r(4 * d),
            f"{prefix}.mlp.fc2.weight": r(d, 4 * d),
            f"{prefix}.mlp.fc2.bias": r(d),
        }

    sd = {
        "encoder.cls_token": r(1, 1, embed),
        "encoder.pos_embed": r(1, n, embed),
        "encoder.patch_embed.proj.weight": r(embed, chans, *patch),
        "encoder.patch_embed.proj.bias": r(embed),
        "encoder.norm.weight": torch.ones(embed),
        "encoder.norm.bias": r(embed),
        "decoder.decoder_embed.weight": r(dec, embed),
        "decoder.decoder_embed.bias": r(dec),
        "decoder.mask_token": r(1, 1, dec),
        "decoder.decoder_pos_embed": r(1, n, dec),
        "decoder.decoder_norm.weight": torch.ones(dec),
        "decoder.decoder_norm.bias": r(dec),
        "decoder.decoder_pred.weight": r(patch[0] * patch[1] * patch[2] * chans, dec),
        "decoder.decoder_pred.bias": r(patch[0] * patch[1] * patch[2] * chans),
    }
    for i in range(depth):
        sd.update(block(f"encoder.blocks.{i}", embed))
    for i in range(dec_depth):
        sd.update(block(f"decoder.decoder_blocks.{i}", dec))
    if coords:
        for part in (
            "encoder.temporal_embed_enc",
            "encoder.location_embed_enc",
            "decoder.temporal_embed_dec",
            "decoder.location_embed_dec",
        ):
            sd[f"{part}.scale"] = torch.full((1,), 0.1)
    return sd


def test_published_layout_loads_into_the_mae_with_zero_missing_or_unexpected_keys():
    mae = PrithviMAE(PRITHVI_CONFIGS["tiny"], in_chans=6, num_frames=1, img_size=32)
    state = published_layout()
    report = load_prithvi_weights(mae, state, HLS_BANDS, HLS_BANDS, prefix="")
    assert report.missing == [] and report.unexpected == [] and report.ignored == []
    assert torch.equal(
        mae.encoder.blocks[3].mlp.fc2.weight, state["encoder.blocks.3.mlp.fc2.weight"]
    )
    assert torch.equal(mae.decoder.decoder_pred.bias, state["decoder.decoder_pred.bias"])


def test_tl_layout_with_learned_scales_loads_completely():
    cfg = dataclasses.replace(
        PRITHVI_CONFIGS["tiny"], coords_encoding=("time", "location"), coords_scale_learn=True
    )
    mae = PrithviMAE(cfg, in_chans=6, num_frames=1, img_size=32)
    report = load_prithvi_weights(
        mae, published_layout(coords=True), HLS_BANDS, HLS_BANDS, prefix=""
    )
    assert report.missing == [] and report.unexpected == []
    assert float(mae.encoder.temporal_embed_enc.scale.detach()) == pytest.approx(0.1)


def test_checkpoint_file_loads_into_the_adapter_encoder_and_reports_decoder_as_ignored(tmp_path):
    path = tmp_path / "Prithvi_EO_V2_tiny.pt"
    state = published_layout(grid=(1, 4, 4))
    torch.save(state, path)
    task = tiny_task("seg", HLS_BANDS, size=64)  # another input size: position buffers recomputed
    data = TinyEOData("seg", HLS_BANDS, size=64)
    adapter = prithvi_adapter("eo/prithvi-tiny", weights=str(path), weights_unit="")
    adapter.build(task, PROTOCOLS["frozen"], RunConfig(device="cpu"), data)
    report = adapter.load_report
    assert report["missing"] == [] and report["unexpected"] == []
    assert all(k.startswith("decoder.") or "pos_embed" in k for k in report["ignored"])
    assert any("encoder.pos_embed (recomputed" in k for k in report["ignored"])
    vit = adapter.model.net.encoder.vit
    assert torch.equal(vit.blocks[0].attn.qkv.weight, state["encoder.blocks.0.attn.qkv.weight"])
    assert adapter.predict(next(iter(data.loader("test", 2)))).shape == (2, 2, 64, 64)


def test_patch_embedding_is_adapted_to_other_bands_by_name(tmp_path):
    path = tmp_path / "p.pt"
    state = published_layout()
    torch.save(state, path)
    bands = ("B04", "B8A", "B05")  # red, narrow NIR, red edge (unknown to HLS weights)
    adapter = prithvi_adapter("eo/prithvi-tiny", weights=str(path), weights_unit="")
    adapter.build(
        tiny_task("cls", bands),
        PROTOCOLS["finetune"],
        RunConfig(device="cpu"),
        TinyEOData("cls", bands),
    )
    w = adapter.model.net.encoder.vit.patch_embed.proj.weight.detach()
    ref = state["encoder.patch_embed.proj.weight"]
    assert w.shape == (64, 3, 1, 8, 8)
    assert torch.equal(w[:, 0], ref[:, 2]) and torch.equal(w[:, 1], ref[:, 3])
    assert torch.allclose(w[:, 2], ref.mean(1) * 6 / 3)


def test_wrong_size_checkpoint_is_refused_with_the_tensor_named():
    mae = PrithviMAE(PRITHVI_CONFIGS["tiny"], in_chans=6, img_size=32)
    with pytest.raises(ConfigError, match=r"encoder\.cls_token"):
        load_prithvi_weights(
            mae, published_layout(embed=96, depth=4), HLS_BANDS, HLS_BANDS, prefix=""
        )


def test_pretrained_prithvi_refuses_data_in_another_unit(tmp_path):
    path = tmp_path / "p.pt"
    torch.save(published_layout(), path)
    with pytest.raises(ConfigError, match="reflectance_x10000"):
        prithvi_adapter("eo/prithvi-tiny", weights=str(path)).build(
            tiny_task("cls", HLS_BANDS),
            PROTOCOLS["finetune"],
            RunConfig(device="cpu"),
            TinyEOData("cls", HLS_BANDS),
        )


def test_multitemporal_shapes_and_temporal_location_encodings_matter():
    torch.manual_seed(0)
    cfg = dataclasses.replace(PRITHVI_CONFIGS["tiny"], coords_encoding=("time", "location"))
    enc = PrithviEncoder(cfg, in_chans=6, img_size=32, num_frames=3).eval()
    x = torch.randn(2, 3, 6, 32, 32)  # (B, T, C, H, W)
    meta = {
        "temporal_coords": torch.tensor([[[2020.0, 10], [2020, 100], [2020, 200]]] * 2),
        "location_coords": torch.tensor([[40.0, -100.0]] * 2),
    }
    feats = enc.forward_features(x, meta)
    assert [tuple(f.shape) for f in feats] == [(2, 64, 4, 4)] * 4
    hidden, grid = enc.vit.forward_tokens(x.permute(0, 2, 1, 3, 4))
    assert grid == (3, 4, 4) and hidden[-1].shape == (2, 1 + 3 * 16, 64)
    with torch.no_grad():
        other_dates = {
            **meta,
            "temporal_coords": meta["temporal_coords"] + torch.tensor([1.0, 30.0]),
        }
        assert not torch.allclose(enc.forward_pooled(x, meta), enc.forward_pooled(x, other_dates))


def test_mae_masks_the_requested_share_and_learns():
    torch.manual_seed(0)
    mae = PrithviMAE(PRITHVI_CONFIGS["tiny"], in_chans=3, num_frames=2, img_size=32)
    x = torch.randn(4, 3, 2, 32, 32)
    loss, pred, mask = mae(x, mask_ratio=0.75)
    assert pred.shape == (4, 32, 8 * 8 * 3) and mask.sum(1).tolist() == [24.0] * 4
    opt = torch.optim.AdamW(mae.parameters(), lr=1e-3)
    losses = []
    for _ in range(8):
        torch.manual_seed(1)  # the same mask every step: the loss curve then shows learning only
        loss, _, _ = mae(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0], losses


def test_published_sizes_have_the_published_parameter_counts():
    with torch.device("meta"):  # shapes only: no memory, no init cost
        counts = {
            s: sum(p.numel() for p in PrithviEncoder(PRITHVI_CONFIGS[s], 6).parameters()) / 1e6
            for s in ("100M", "300M", "600M")
        }
    assert 85 < counts["100M"] < 88 and 302 < counts["300M"] < 306 and 629 < counts["600M"] < 633


def test_date_and_location_scales_are_declared_conditional():
    from geoarena.eo.models.pos_embed import LocationEncoding, TemporalEncoding
    from geoarena.train.distributed import conditional_parameters

    assert conditional_parameters(torch.nn.Sequential(TemporalEncoding(16, learn_scale=True)))
    assert conditional_parameters(torch.nn.Sequential(LocationEncoding(16, learn_scale=True)))
    assert not conditional_parameters(torch.nn.Sequential(TemporalEncoding(16), torch.nn.ReLU()))
