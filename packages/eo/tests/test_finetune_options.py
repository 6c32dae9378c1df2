"""Fine-tuning ``model_kwargs``: ``encoder_lr_mult`` (the encoder at a multiple of ``train.lr``
while the decoder learns at the full rate, mmsegmentation's backbone ``lr_mult``) and ``ema``
(validation and the returned model use an exponential moving average of the weights)."""

from __future__ import annotations

import pytest
import torch

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.eo.models.testing import TinyEOData, tiny_task
from geoarena.eo.models.zoo import timm_adapter

FINETUNE = next(p for p in STANDARD_PROTOCOLS if p.name == "finetune")
SIX = ("B02", "B03", "B04", "B08", "B11", "B12")


def _fitted(kind: str, **kw):
    torch.manual_seed(0)
    adapter = timm_adapter("eo/resnet18", **kw)
    data = TinyEOData(kind, SIX, 32)
    adapter.build(tiny_task(kind, SIX, 32), FINETUNE, RunConfig(device="cpu"), data)
    net = adapter.model.net
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    adapter.fit(data, TrainConfig(epochs=1, batch_size=4, lr=1e-3, amp=False), lambda e, m: 0)
    return adapter, before


def _moved_after_fit(kind: str, mult: float) -> tuple[float, float]:
    """Summed |Δ| of the encoder's and of the other parameters after one epoch."""
    adapter, before = _fitted(kind, encoder_lr_mult=mult)
    net = adapter.model.net
    enc = sum(
        (p - before[n]).abs().sum().item()
        for n, p in net.named_parameters()
        if n.startswith("encoder.")
    )
    rest = sum(
        (p - before[n]).abs().sum().item()
        for n, p in net.named_parameters()
        if not n.startswith("encoder.")
    )
    return enc, rest


@pytest.mark.parametrize("kind", ["seg", "cls"])
def test_encoder_moves_by_the_multiple_and_the_head_at_the_full_rate(kind):
    enc_full, rest_full = _moved_after_fit(kind, 1.0)
    enc_low, rest_low = _moved_after_fit(kind, 1e-3)
    assert enc_full > 0 and rest_full > 0
    # Adam's steps are about lr in size, so the encoder's total move shrinks with the rate
    assert enc_low < 3e-3 * enc_full
    assert rest_low > 0.2 * rest_full  # the decoder / head still learns at train.lr


@pytest.mark.parametrize("mult", [0.0, -0.1])
def test_non_positive_encoder_lr_mult_is_refused_naming_it(mult):
    with pytest.raises(ConfigError, match=f"encoder_lr_mult={mult}"):
        timm_adapter("eo/resnet18", encoder_lr_mult=mult)


def test_ema_gives_the_averaged_network_between_the_start_and_the_trained_one():
    plain, start = _fitted("seg")
    averaged, _ = _fitted("seg", ema=0.9)
    for (name, p), q in zip(plain.model.net.named_parameters(), averaged.model.net.parameters()):
        moved, kept = (p - start[name]).abs().sum(), (q - start[name]).abs().sum()
        assert kept < moved or moved == 0, name  # the average lags the raw weights


@pytest.mark.parametrize("ema", [1.0, -0.5])
def test_an_ema_decay_outside_0_1_is_refused_naming_it(ema):
    with pytest.raises(ConfigError, match=f"ema={ema}"):
        timm_adapter("eo/resnet18", ema=ema)
