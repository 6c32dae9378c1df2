"""No silent no-ops: protocols a model does not apply are refused, a freezing protocol must
freeze, and train keys a model ignores are neither logged nor part of the cell's identity."""

from __future__ import annotations

import pytest

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.honoured import check_frozen, honoured_train_keys
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.registry import MODELS
from geoarena.core.runner import run
from geoarena.core.tracking import NullTracker
from geoarena.train.testing import ToyMLPAdapter, register_toys

PROTO = {p.name: p for p in STANDARD_PROTOCOLS}


class IgnoresProtocol(ToyMLPAdapter):
    """The failure the issue saw: the model trains everything whatever the protocol says."""

    def build(self, task, protocol, cfg, data):
        finetune = PROTO["finetune"]
        super().build(task, finetune, cfg, data)


@pytest.fixture(autouse=True)
def models(monkeypatch):
    register_toys()
    monkeypatch.setattr(MODELS, "_entries", dict(MODELS._entries))  # undone after each test
    MODELS.register(
        "test/mlp-ignores-protocol",
        kinds=("cls",),
        protocols=("finetune", "linear_probe"),  # it claims to, but does not
    )(IgnoresProtocol)
    MODELS.register(
        "test/mlp-two-keys", kinds=("cls",), protocols=("finetune",), train_keys=("epochs", "lr")
    )(ToyMLPAdapter)


def _cfg(model: str, protocol: str = "finetune", **train) -> RunConfig:
    return RunConfig(
        task="test/blobs",
        model=model,
        protocol=protocol,
        train=TrainConfig(epochs=2, batch_size=16, lr=0.01, **train),
    )


def test_a_model_that_ignores_its_protocol_fails_the_cell():
    tracker = NullTracker()
    res = run(_cfg("test/mlp-ignores-protocol", "linear_probe"), tracker)
    assert res.status == "FAILED"
    assert "ignored the protocol" in res.error
    assert tracker.runs[res.run_id].status == "FAILED"


def test_a_frozen_protocol_logs_its_trainable_parameters():
    tracker = NullTracker()
    res = run(_cfg("test/mlp", "linear_probe"), tracker)
    assert res.status == "FINISHED"
    metrics = tracker.runs[res.run_id].metrics
    total, trainable = metrics["model/params"][-1][1], metrics["model/trainable_params"][-1][1]
    # the toy MLP: its 8→16 hidden layer frozen, the 16→3 head trained
    assert (total, trainable) == (8 * 16 + 16 + 16 * 3 + 3, 16 * 3 + 3)


def test_an_undeclared_protocol_is_refused_before_any_work():
    res = run(_cfg("test/mlp-two-keys", "linear_probe"), NullTracker())
    assert res.status == "FAILED"
    assert "does not apply protocol 'linear_probe'; it supports finetune" in res.error


def test_ignored_train_keys_leave_the_hash_and_the_params():
    base = _cfg("test/mlp-two-keys")
    other_wd = _cfg("test/mlp-two-keys", weight_decay=0.5)  # a key this model does not read
    other_lr = _cfg("test/mlp-two-keys")
    other_lr.train.lr = 0.02
    assert base.hash() == other_wd.hash() != other_lr.hash()
    params = base.flat()
    assert {k for k in params if k.startswith("train.")} == {"train.epochs", "train.lr"}
    all_keys = frozenset(base.to_dict()["train"])
    assert honoured_train_keys("test/mlp-two-keys", all_keys) == {"epochs", "lr"}
    # a model that reads every key: weight decay is part of its identity
    assert _cfg("test/mlp").hash() != _cfg("test/mlp", weight_decay=0.5).hash()


def test_check_frozen_edges():
    check_frozen(PROTO["linear_probe"], total=0, trainable=0)  # not a torch model: nothing to check
    check_frozen(PROTO["linear_probe"], total=10, trainable=2)
    check_frozen(PROTO["finetune"], total=10, trainable=10)
    with pytest.raises(ConfigError, match="lora"):
        check_frozen(PROTO["lora"], total=10, trainable=10)
