"""ModelCard and ModelAdapter: what a model expects, and the one surface the runner drives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geoarena.core.config import RunConfig, TrainConfig
    from geoarena.core.protocol import EvalProtocol
    from geoarena.core.task import DataModule, Task

#: ``on_epoch(epoch, metrics)``: metrics like ``{"train/loss": .., "val/miou": ..}``. It may
#: raise ``geoarena.core.errors.Pruned`` to stop training (Optuna pruning).
EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass(frozen=True)
class ModelCard:
    """What a model expects of its input, for provenance and for refusing mismatched data.

    Attributes:
        name: registry name.
        backbone, decoder: GEO-Bench-2 columns.
        bands: band names the weights were trained on (empty: any).
        mean, std: per-band normalisation statistics of the weights (empty: use the data's).
        input_unit: e.g. ``reflectance_0_1``, ``dn_uint16``, ``uint8``, ``metres``, ``text``.
        gsd: ground sample distance in metres (0: unknown / not applicable).
        weights: ``random``, a local path, or a registry package name.
        params: number of parameters (filled after build).
    """

    name: str
    backbone: str = ""
    decoder: str = ""
    bands: tuple[str, ...] = ()
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    input_unit: str = ""
    gsd: float = 0.0
    weights: str = "random"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FitResult:
    """What ``fit`` reports back: best epoch and its validation metrics, epochs actually run."""

    best_epoch: int = -1
    best_val: dict[str, float] = field(default_factory=dict)
    epochs_run: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class ModelAdapter(ABC):
    """Uniform surface over very different training stacks (plain torch, ultralytics, spaCy…).

    The adapter owns its training loop; plain torch adapters use ``geoarena.core.TorchFitLoop``.
    The runner calls ``build`` → ``fit`` → ``predict`` (batch by batch on the test split) and
    feeds predictions to the task's metric.
    """

    card: ModelCard

    @abstractmethod
    def build(self, task: Task, protocol: EvalProtocol, cfg: RunConfig, data: DataModule) -> None:
        """Create the model for ``task`` under ``protocol`` (freezing, heads, band adaptation).

        ``data`` is already set up; its ``info`` gives bands, statistics, class names.
        Raise ``DataError``/``ConfigError`` for an incompatible input (wrong band names, units).
        """

    @abstractmethod
    def fit(self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback) -> FitResult:
        """Train on ``data``'s train split, validating every epoch through ``on_epoch``."""

    @abstractmethod
    def predict(self, batch: dict[str, Any]) -> Any:
        """Predictions for one batch, in the form the task's ``Metric.update`` takes."""

    def num_parameters(self) -> int:
        """Total parameters (0 when not a torch model)."""
        model = getattr(self, "model", None)
        if model is None or not hasattr(model, "parameters"):
            return 0
        return int(sum(p.numel() for p in model.parameters()))

    def log_artifacts(self, out_dir: str) -> list[str]:
        """Optionally write adapter-specific artifacts (curves, weights) into ``out_dir``."""
        return []
