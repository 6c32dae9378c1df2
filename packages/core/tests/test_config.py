import pytest

from geoarena.core.config import RunConfig, TrainConfig, apply_overrides
from geoarena.core.errors import ConfigError


def test_dotted_overrides_are_typed():
    cfg = apply_overrides(
        RunConfig(task="t", model="m"),
        ["train.lr=3e-4", "seed=2", "train.amp=false", "model_kwargs.depth=4"],
    )
    assert cfg.train.lr == pytest.approx(3e-4)
    assert cfg.seed == 2 and isinstance(cfg.seed, int)
    assert cfg.train.amp is False
    assert cfg.model_kwargs == {"depth": 4}


def test_override_does_not_mutate_original():
    base = RunConfig()
    apply_overrides(base, ["train.epochs=99"])
    assert base.train.epochs == TrainConfig().epochs


@pytest.mark.parametrize(
    "bad, message",
    [
        ("train.lrr=1", "unknown config key 'train.lrr'"),
        ("train.epochs=abc", "not an int"),
        ("train.optimizer=lion", "must be one of adamw, sgd, adam"),
        ("nonsense", "must look like key.sub=value"),
        ("train.amp=maybe", "not a boolean"),
    ],
)
def test_bad_overrides_name_the_problem(bad, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(RunConfig(), [bad])


def test_hash_ignores_paths_but_not_hyperparameters():
    a = RunConfig(task="t", model="m", data_root="/a", device="cpu")
    b = RunConfig(task="t", model="m", data_root="/b", device="cuda")
    assert a.hash() == b.hash()
    assert apply_overrides(a, ["train.lr=0.5"]).hash() != a.hash()
    assert apply_overrides(a, ["seed=1"]).hash() != a.hash()


def test_flat_params_are_dotted():
    flat = RunConfig(task="t").flat()
    assert flat["train.lr"] == TrainConfig().lr and flat["task"] == "t"
