"""Typed dataclass configs with dotted command-line overrides (``--set train.lr=3e-4``).

No YAML, no ``_target_`` strings: a config is plain data, and what it builds is found by grep.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from geoarena.core.errors import ConfigError


@dataclass
class TrainConfig:
    """Optimisation settings shared by every adapter (adapters ignore what does not apply)."""

    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    optimizer: Literal["adamw", "sgd", "adam"] = "adamw"
    scheduler: Literal["cosine", "none", "step"] = "cosine"
    warmup_epochs: int = 0
    early_stop_patience: int = 5
    amp: bool = True
    num_workers: int = 0
    max_steps_per_epoch: int = 0  # 0: the whole epoch
    grad_clip: float = 0.0
    # -- scale-out, pipeline, augmentation, losses, checkpoints (TorchFitLoop; issue 14) --
    #: ``auto``: one device, or DDP under torchrun/srun; ``fsdp`` shards large models (CUDA).
    strategy: Literal["auto", "ddp", "fsdp"] = "auto"
    #: ``auto`` follows ``amp`` (bf16/fp16 autocast on CUDA, fp32 on CPU).
    precision: Literal["auto", "32-true", "bf16-mixed", "16-mixed"] = "auto"
    #: micro-batches per optimiser step; ``batch_size`` stays the global batch of one step.
    accumulate_grad_batches: int = 1
    compile: bool = False  # torch.compile the model
    prefetch_factor: int = 2  # batches each loader worker keeps ready
    #: on-device training augmentation: ``none``, ``d4`` (flips + 90° rotations), ``crop``
    #: (random resized crop), ``jitter`` (brightness/contrast), ``d4+crop``, ``d4+jitter``.
    augment: str = "none"
    #: ``auto`` (the adapter's cross-entropy), ``ce``, ``weighted_ce``, ``dice``, ``focal``,
    #: ``ce+dice``, ``focal+dice``, ``weighted_ce+dice``.
    loss: str = "auto"
    checkpoint_every: int = 1  # epochs between resumable checkpoints (0: none)


@dataclass
class RunConfig:
    """One cell of a benchmark: (task, model, protocol, label fraction, seed) + training settings."""

    task: str = ""
    model: str = ""
    protocol: str = "finetune"
    label_fraction: float = 1.0
    seed: int = 0
    train: TrainConfig = field(default_factory=TrainConfig)
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    data_root: str | None = None
    cache_dir: str | None = None
    device: str = "auto"
    quick: bool = False
    suite: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def honoured_dict(self) -> dict[str, Any]:
        """``to_dict`` without the ``train.*`` keys the model ignores (``geoarena.core.honoured``)."""
        from geoarena.core.honoured import honoured_train

        d = self.to_dict()
        d["train"] = honoured_train(self.model, d["train"])
        return d

    def flat(self) -> dict[str, Any]:
        """Dotted keys → values (MLflow params); keys the model ignores are left out."""
        return flatten(self.honoured_dict())

    def hash(self) -> str:
        """Identity of the cell for resume: everything that changes the result, nothing that
        only says where things are (paths, device, suite label) or that the model ignores."""
        d = self.honoured_dict()
        for k in ("data_root", "cache_dir", "device", "suite"):
            d.pop(k, None)
        for k in ("num_workers", "prefetch_factor"):  # how fast batches arrive, not which
            d["train"].pop(k, None)
        blob = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class SweepConfig:
    """An Optuna study over ``run``: which storage, how many trials, which sampler/pruner."""

    study: str = "geoarena"
    storage: str = ""  # "" → journal file in the working folder; postgresql://… for clusters
    n_trials: int = 20
    directions: tuple[str, ...] = ("maximize",)
    metrics: tuple[str, ...] = ("val/auto",)
    sampler: Literal["tpe", "random", "cmaes", "nsga2"] = "tpe"
    pruner: Literal["median", "hyperband", "sha", "none"] = "median"
    seeds: tuple[int, ...] = (0, 1, 2)
    timeout_s: float = 0.0
    heartbeat_s: int = 10
    max_retries: int = 2
    #: multi-objective: which Pareto-front trial the final stage re-runs (geoarena.sweeps.pareto)
    tradeoff: Literal["knee", "first"] = "knee"


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _coerce(value: str, typ: Any, key: str) -> Any:
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if typ is Any:
        return _literal(value)
    if origin in (typing.Union, types.UnionType):
        if value.lower() in ("none", "null") and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"--set {key}={value}: " + "; ".join(errors))
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"--set {key}={value}: must be one of {', '.join(map(str, args))}")
        return value
    if typ is bool:
        low = value.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"--set {key}={value}: not a boolean")
    if typ in (int, float):
        try:
            return typ(float(value)) if typ is int and float(value).is_integer() else typ(value)
        except ValueError:
            raise ConfigError(
                f"--set {key}={value}: not a{'n int' if typ is int else ' float'}"
            ) from None
    if typ is str:
        return value
    if origin in (tuple, list):
        parsed = _literal(value)
        if not isinstance(parsed, (list, tuple)):
            parsed = [p for p in value.split(",") if p]
        inner = args[0] if args else Any
        return (tuple if origin is tuple else list)(_coerce(str(p), inner, key) for p in parsed)
    if origin is dict or typ is dict:
        parsed = _literal(value)
        if not isinstance(parsed, dict):
            raise ConfigError(f"--set {key}={value}: not a dict literal")
        return parsed
    return _literal(value)


def _literal(value: str) -> Any:
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def apply_overrides(cfg: Any, overrides: list[str] | dict[str, Any]) -> Any:
    """Return a copy of dataclass ``cfg`` with dotted overrides applied.

    ``overrides`` is ``["train.lr=3e-4", "seed=2"]`` (strings are parsed to the field's type) or
    ``{"train.lr": 3e-4}``. Keys under a ``dict`` field (``model_kwargs.depth=4``) are free-form.
    Unknown keys raise ``ConfigError`` naming the key and the valid ones.
    """
    cfg = _deepcopy(cfg)
    items = overrides.items() if isinstance(overrides, dict) else (_split(o) for o in overrides)
    for key, value in items:
        _set(cfg, key, value)
    return cfg


def _deepcopy(cfg: Any) -> Any:
    import copy

    return copy.deepcopy(cfg)


def _split(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like key.sub=value")
    k, v = item.split("=", 1)
    return k.strip(), v.strip()


def _set(obj: Any, key: str, value: Any) -> None:
    parts = key.split(".")
    target = obj
    for i, part in enumerate(parts[:-1]):
        if isinstance(target, dict):
            target = target.setdefault(part, {})
            continue
        if not dataclasses.is_dataclass(target) or not hasattr(target, part):
            raise ConfigError(
                f"unknown config key {'.'.join(parts[: i + 1])!r}; valid: {_keys(target)}"
            )
        target = getattr(target, part)
    last = parts[-1]
    if isinstance(target, dict):
        target[last] = _literal(value) if isinstance(value, str) else value
        return
    hints = typing.get_type_hints(type(target))
    if last not in hints:
        raise ConfigError(f"unknown config key {key!r}; valid: {_keys(target)}")
    if isinstance(value, str):
        value = _coerce(value, hints[last], key)
    setattr(target, last, value)


def _keys(obj: Any) -> str:
    if dataclasses.is_dataclass(obj):
        return ", ".join(f.name for f in dataclasses.fields(obj))
    return "(none)"
