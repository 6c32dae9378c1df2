import torch
import torch.nn.functional as F

from geoarena.core.config import TrainConfig
from geoarena.train.fit_loop import TorchFitLoop
from geoarena.train.testing import ToyBlobs


def make_loop(model, scores, snapshots):
    it = iter(scores)

    def evaluate():
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"val/acc": next(it)}

    return TorchFitLoop(
        model,
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=evaluate,
        monitor="val/acc",
        device="cpu",
    )


def test_early_stopping_and_best_checkpoint_restore():
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Linear(8, 3)
    snaps: list = []
    seen = []
    loop = make_loop(model, [0.5, 0.9, 0.8, 0.7, 0.6, 0.95], snaps)
    res = loop.fit(
        data,
        TrainConfig(epochs=6, batch_size=32, lr=0.05, early_stop_patience=2),
        lambda e, m: seen.append((e, m["val/acc"])),
    )
    assert res.epochs_run == 4 and res.best_epoch == 1  # stopped 2 epochs after the best
    assert [e for e, _ in seen] == [0, 1, 2, 3]
    for k, v in model.state_dict().items():  # the weights are the best epoch's, not the last
        torch.testing.assert_close(v, snaps[1][k])
        assert not torch.equal(v, snaps[3][k])


def test_minimize_direction_and_train_metrics():
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Linear(8, 3)
    loop = make_loop(model, [3.0, 1.0, 2.0], [])
    loop.direction = "minimize"
    got = []
    res = loop.fit(
        data,
        TrainConfig(epochs=3, batch_size=32, lr=0.05, early_stop_patience=0),
        lambda e, m: got.append(m),
    )
    assert res.best_epoch == 1 and res.epochs_run == 3
    assert {"train/loss", "train/lr", "time/epoch_s", "time/train_samples_per_s", "val/acc"} <= set(
        got[0]
    )
    assert got[2]["train/loss"] < got[0]["train/loss"]  # it learns


def test_frozen_everything_is_an_error():
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Linear(8, 3).requires_grad_(False)
    loop = make_loop(model, [0.1], [])
    try:
        loop.fit(data, TrainConfig(epochs=1))
    except ValueError as exc:
        assert "no trainable parameters" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_param_groups_split_by_prefix_at_multiples_of_the_rate():
    import re

    import pytest

    from geoarena.core.errors import ConfigError
    from geoarena.train.fit_loop import param_groups

    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    groups = param_groups(model, 0.01, {"0.": 0.1})
    assert [g["lr"] for g in groups] == [0.01, pytest.approx(0.001)]
    assert [len(g["params"]) for g in groups] == [2, 2]
    assert groups[1]["params"][0] is model[0].weight  # the prefix's parameters, not the rest
    assert len(param_groups(model, 0.01, {"0.": 1.0})) == 1  # a multiplier of 1: one group
    model[0].requires_grad_(False)  # a frozen encoder leaves its group out
    assert [g["lr"] for g in param_groups(model, 0.01, {"0.": 0.1})] == [0.01]
    with pytest.raises(ConfigError, match=re.escape("'enc.' matches no parameter")):
        param_groups(model, 0.01, {"enc.": 0.1})


def test_lr_mult_zero_keeps_those_weights_while_the_rest_learns():
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loop = make_loop(model, [0.1, 0.2], [])
    loop.lr_mult = {"0.": 0.0}
    res = loop.fit(data, TrainConfig(epochs=2, batch_size=32, lr=0.05, warmup_epochs=1), None)
    assert res.epochs_run == 2
    after = model.state_dict()
    # AdamW at rate 0 moves neither by the gradient nor by weight decay; the schedule (warmup
    # then cosine) scales every group by the same factor, so 0 stays 0
    torch.testing.assert_close(after["0.weight"], before["0.weight"], rtol=0, atol=0)
    assert not torch.equal(after["2.weight"], before["2.weight"])


def test_ema_is_what_validation_sees_and_what_the_fit_returns():
    from geoarena.train.ema import WeightEMA

    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Linear(8, 3)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    raw: list = []  # the optimiser's own weights after every step
    seen: list = []  # what validation saw
    loop = make_loop(model, [0.5, 0.9, 0.8], seen)
    loop.ema_decay, loop.log_every = 0.8, 1
    loop.on_step = lambda step, m: raw.append({k: v.clone() for k, v in model.state_dict().items()})
    res = loop.fit(data, TrainConfig(epochs=3, batch_size=32, lr=0.05, early_stop_patience=0))
    # the same average written out: d = min(0.8, (1 + n) / (10 + n)) after n updates
    avg = {k: v.clone() for k, v in start.items()}
    steps_per_epoch = len(raw) // 3
    expected = []
    for n, weights in enumerate(raw):
        d = min(0.8, (1 + n) / (10 + n))
        avg = {k: d * avg[k] + (1 - d) * weights[k] for k in avg}
        if (n + 1) % steps_per_epoch == 0:
            expected.append(avg)
    for got, want, own in zip(seen, expected, raw[steps_per_epoch - 1 :: steps_per_epoch]):
        for k in want:
            torch.testing.assert_close(got[k], want[k])
            assert not torch.allclose(got[k], own[k])  # not the raw weights
    assert res.best_epoch == 1
    for k, v in model.state_dict().items():  # the best epoch's averaged weights
        torch.testing.assert_close(v, expected[1][k])
    ema = WeightEMA(model, 0.5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ema.shadow = {k: v + 1 for k, v in ema.shadow.items()}
    with ema.applied(model):
        torch.testing.assert_close(model.weight, before["weight"] + 1)
    torch.testing.assert_close(model.weight, before["weight"])  # its own weights come back


def test_every_training_batch_passes_through_the_augmentation_once():
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    seen: list[int] = []

    def augment(batch):
        seen.append(len(batch["label"]))
        return batch

    loop = make_loop(torch.nn.Linear(8, 3), [0.5, 0.6], [])
    loop.augment = augment
    loop.fit(data, TrainConfig(epochs=2, batch_size=32, lr=0.05), lambda e, m: None)
    assert sum(seen) == 2 * data.num_samples("train")  # training batches only, every epoch
