"""What a model honours: the protocols it applies and the ``train.*`` keys it reads.

A model declares both where it is registered (``MODELS.register(name, protocols=…,
train_keys=…)``). The runner refuses a protocol the model does not apply, leaves the keys it
ignores out of the logged params and the config hash (two cells that differ only in a key the
model never reads are one cell), and checks after ``build`` that a freezing protocol froze.
A model that declares nothing is taken to honour every standard protocol and every key.
"""

from __future__ import annotations

from typing import Any

from geoarena.core.errors import ConfigError

#: ``train_keys=ALL_TRAIN_KEYS``: the model reads every TrainConfig field (the shared
#: ``TorchFitLoop`` does).
ALL_TRAIN_KEYS = "all"


def declared(model: str) -> dict[str, Any]:
    """The registry metadata of ``model`` (empty when it is not registered)."""
    from geoarena.core.registry import MODELS

    if model not in MODELS:
        return {}
    return MODELS.meta(model)


def honoured_train_keys(model: str, all_keys: frozenset[str]) -> frozenset[str]:
    """The ``train.*`` keys ``model`` reads among ``all_keys`` (the TrainConfig fields); all of
    them when it declares none or ``ALL_TRAIN_KEYS``."""
    keys = declared(model).get("train_keys", ALL_TRAIN_KEYS)
    if keys == ALL_TRAIN_KEYS:
        return all_keys
    unknown = set(keys) - all_keys
    if unknown:
        raise ConfigError(f"model {model!r} declares unknown train keys {sorted(unknown)}")
    return frozenset(keys)


def honoured_train(model: str, train: dict[str, Any]) -> dict[str, Any]:
    """``train`` (a TrainConfig as a dict) restricted to the keys ``model`` reads."""
    keys = honoured_train_keys(model, frozenset(train))
    return {k: v for k, v in train.items() if k in keys}


def check_protocol(model: str, protocol: str) -> None:
    """Refuse a protocol the model does not declare (``ConfigError`` naming the ones it has)."""
    protocols = declared(model).get("protocols")
    if protocols is not None and protocol not in protocols:
        raise ConfigError(
            f"model {model!r} does not apply protocol {protocol!r}; it supports {', '.join(protocols)}"
        )


def check_frozen(protocol: Any, total: int, trainable: int) -> None:
    """After ``build``: a protocol that freezes must leave fewer trainable than total parameters.

    ``total == 0`` means the model is not a torch module (a forest, a gazetteer): nothing to check.
    """
    freezes = protocol.freeze != "none" or protocol.lora_rank > 0
    if total and freezes and trainable >= total:
        raise ConfigError(
            f"protocol {protocol.name!r} freezes the backbone, but all {total} parameters of the "
            "model are trainable: the model ignored the protocol"
        )
