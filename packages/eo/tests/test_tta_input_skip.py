"""``model_kwargs`` ``tta="d4"`` (test-time D4 averaging of every prediction) and
``input_skip`` (a full-resolution input level for the segmentation decoder)."""

from __future__ import annotations

import pytest
import torch

from geoarena.core.config import RunConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.eo.inference.blending import d4_predict
from geoarena.eo.models.testing import TinyEOData, tiny_task
from geoarena.eo.models.zoo import timm_adapter

PROTOCOLS = {p.name: p for p in STANDARD_PROTOCOLS}
SIX = ("B02", "B03", "B04", "B08", "B11", "B12")


def _built(kind, size=32, timesteps=1, **kw):
    torch.manual_seed(0)
    task = tiny_task(kind, SIX, size, timesteps=timesteps)
    data = TinyEOData(kind, SIX, size, timesteps=timesteps)
    adapter = timm_adapter("eo/resnet18", **kw)
    adapter.build(task, PROTOCOLS["finetune"], RunConfig(device="cpu"), data)
    return adapter, data


def _views(image):
    """The 8 D4 views of ``image`` and the inverse of each, written out independently."""
    out = []
    for k in range(4):
        for flip in (False, True):
            fwd = torch.rot90(image, k, dims=(-2, -1))
            fwd = fwd.flip(-1) if flip else fwd

            def back(y, k=k, flip=flip):
                y = y.flip(-1) if flip else y
                return torch.rot90(y, -k, dims=(-2, -1))

            out.append((fwd, back))
    return out


def test_seg_tta_is_the_mean_probability_over_the_eight_views():
    adapter, data = _built("seg", tta="d4")
    batch = next(iter(data.loader("test", 2)))
    out = adapter.predict(batch)
    net = adapter.model.eval()
    with torch.no_grad():
        probs = [
            back(torch.softmax(net({**batch, "image": view}), 1))
            for view, back in _views(batch["image"])
        ]
    expected = torch.stack(probs).mean(0)
    # the output is log-probabilities: softmax gives the mean back, argmax is unchanged
    assert torch.allclose(torch.softmax(out, 1), expected, atol=1e-5)
    assert torch.equal(out.argmax(1), expected.argmax(1))
    # without TTA the same network answers with its single view
    adapter.config.tta = "none"
    plain = adapter.predict(batch)
    assert not torch.allclose(torch.softmax(plain, 1), expected, atol=1e-4)


def test_seg_tta_output_is_d4_equivariant_and_classes_invariant():
    adapter, data = _built("seg", tta="d4")
    batch = next(iter(data.loader("test", 2)))
    rotated = {**batch, "image": torch.rot90(batch["image"], 1, dims=(-2, -1)).contiguous()}
    a = adapter.predict(batch)
    b = adapter.predict(rotated)
    assert torch.allclose(torch.rot90(a, 1, dims=(-2, -1)), b, atol=1e-4)

    cls, cdata = _built("cls", tta="d4")
    cbatch = next(iter(cdata.loader("test", 3)))
    flipped = {**cbatch, "image": cbatch["image"].flip(-2).contiguous()}
    pa, pb = cls.predict(cbatch), cls.predict(flipped)
    assert pa.shape == (3, cls.task.num_classes)
    assert torch.allclose(pa, pb, atol=1e-4)
    assert torch.allclose(pa.exp().sum(1), torch.ones(3), atol=1e-5)


def test_multilabel_tta_stays_probabilities():
    adapter, data = _built("multilabel", tta="d4")
    out = adapter.predict(next(iter(data.loader("test", 3))))
    assert out.shape == (3, 4) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_d4_predict_accepts_time_series():
    x = torch.randn(2, 3, 4, 8, 8)
    # an equivariant model (per-pixel map): D4 averaging must give its own output back
    y = d4_predict(lambda t: t.mean(1) * 2.0, x, softmax=False)
    assert torch.allclose(y, x.mean(1) * 2.0, atol=1e-6)
    # a non-spatial output is averaged as it comes
    z = d4_predict(lambda t: t.sum(dim=(-3, -2, -1)), x, softmax=False, spatial=False)
    assert torch.allclose(z, x.sum(dim=(-3, -2, -1)), atol=1e-4)


def test_input_skip_adds_a_full_resolution_level_the_loss_reaches():
    plain, _ = _built("seg")
    adapter, data = _built("seg", input_skip=8)
    net = adapter.model.net
    assert net.input_stem is not None
    extra = sum(p.numel() for p in adapter.model.parameters()) - sum(
        p.numel() for p in plain.model.parameters()
    )
    assert extra > 0
    batch = next(iter(data.loader("train", 2)))
    adapter.model.train()
    out = adapter.model(batch)
    assert out.shape == (2, 2, 32, 32)
    out.square().mean().backward()
    grad = net.input_stem[0][0].weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0
    # the decoder's last block reads the input level: its input channels grew by 8
    first = net.decoder.blocks[-1][0][0]
    assert first.in_channels == plain.model.net.decoder.blocks[-1][0][0].out_channels + 8


def test_input_skip_works_on_time_series():
    adapter, data = _built("seg", timesteps=3, input_skip=8)
    batch = next(iter(data.loader("test", 2)))
    assert adapter.predict(batch).shape == (2, 2, 32, 32)


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"tta": "d8"}, "tta='d8'"), ({"input_skip": -1}, "input_skip=-1")]
)
def test_bad_tta_or_input_skip_is_refused_naming_it(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        timm_adapter("eo/resnet18", **kwargs)


def test_calibrate_chooses_the_val_best_shift_and_folds_it_into_the_last_layer():
    from geoarena.core.config import TrainConfig
    from geoarena.eo.models.calibration import SHIFT_GRID, choose_shift

    adapter, data = _built("seg", calibrate="val")
    bias_before = adapter.model.net.decoder.classifier.bias.detach().clone()
    metric = adapter.task.metrics()
    # the shift the grid search must find, worked out here on the same network's val outputs
    outs, tgts = [], []
    result = adapter.fit(
        data, TrainConfig(epochs=1, batch_size=4, amp=False, early_stop_patience=0), lambda e, m: 0
    )
    chosen = result.extra["metrics"]
    shift = chosen["calibrate/logit_shift"]
    assert shift in SHIFT_GRID
    assert chosen["calibrate/threshold"] == pytest.approx(1 / (1 + 2.718281828459045**shift))
    bias = adapter.model.net.decoder.classifier.bias.detach()
    # class 1's bias moved by the training step and the shift; undo the shift: the argmax
    # network, whose val figures are the "before" ones
    adapter.model.net.decoder.classifier.bias.data[1] -= shift
    for batch in data.loader("val", 4, shuffle=False):
        outs.append(adapter.predict(batch))
        tgts.append(batch)
    again, after, before = choose_shift(outs, tgts, metric, adapter.task.metric, "maximize")
    assert again == shift
    assert before["miou"] == pytest.approx(chosen["calibrate/val_before/miou"])
    assert after["miou"] == pytest.approx(chosen["calibrate/val_chosen/miou"])
    assert after["miou"] >= before["miou"]
    # the folded network reproduces the chosen figure, and the runner's val is that network's
    adapter.model.net.decoder.classifier.bias.data[1] += shift
    assert result.best_val["val/miou"] == pytest.approx(after["miou"], abs=1e-6)
    assert not torch.equal(bias_before, bias)


def test_choose_shift_finds_the_threshold_of_a_biased_scorer():
    from geoarena.core.metrics import ConfusionMatrixMetric
    from geoarena.eo.models.calibration import choose_shift

    torch.manual_seed(0)
    mask = (torch.rand(4, 16, 16) < 0.2).long()
    # a scorer whose class-1 logit is right but 2.0 too high: the best shift is -2.0
    signal = (mask.float() * 2 - 1) * 3 + torch.randn(4, 16, 16) * 0.5
    logits = torch.stack([torch.zeros_like(signal), signal + 2.0], 1)
    metric = ConfusionMatrixMetric(2, target_key="mask")
    shift, after, before = choose_shift([logits], [{"mask": mask}], metric, "miou", "maximize")
    assert -3.0 <= shift <= -1.0
    assert after["miou"] > before["miou"]
