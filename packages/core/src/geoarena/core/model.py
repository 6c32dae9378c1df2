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
    from geoarena.core.tracking import Tracker

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
class ExportedModel:
    """A trained model written as files that load without the training code path.

    Attributes:
        loader: ``"package.module:function"``; ``function(files, card)`` (files: name → local
            path in the loaded model) returns an object
            with ``predict(inputs)``. It must live in an installed package (the model's leaf).
        files: name → path of the files written by ``export`` (weights, ONNX, tables).
        card: the ModelCard's fields plus what a user of the model needs: ``modality``,
            ``task``, ``task_kind``, ``class_names``, normalisation (``mean``/``std``), ``gsd``.
        input_example: a small input in the form ``predict`` takes (for signatures and tests).
    """

    loader: str
    files: dict[str, str]
    card: dict[str, Any]
    input_example: Any = None


#: Loggers of exported models, called as ``logger(tracker, run_id, exported)`` once a cell's
#: test split is scored. ``geoarena.serve`` adds the MLflow Model logger from its plugin; core
#: knows nothing of model formats.
MODEL_LOGGERS: list[Callable[[Tracker, str, ExportedModel], None]] = []


@dataclass
class FitResult:
    """What ``fit`` reports back: best epoch and its validation metrics, epochs actually run.

    ``extra["metrics"]`` (name → number), when an adapter sets it, is logged with the run's
    final metrics (e.g. the decision threshold chosen after training)."""

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

    def num_trainable_parameters(self) -> int:
        """Parameters that receive gradients after ``build`` (what the protocol left trainable)."""
        model = getattr(self, "model", None)
        if model is None or not hasattr(model, "parameters"):
            return 0
        return int(sum(p.numel() for p in model.parameters() if p.requires_grad))

    def log_artifacts(self, out_dir: str) -> list[str]:
        """Optionally write adapter-specific artifacts (curves, weights) into ``out_dir``."""
        return []

    #: what ``count_units`` counts, for the throughput metric (chip, image, doc, point…).
    throughput_unit: str = "sample"

    def count_units(self, batch: dict[str, Any]) -> int:
        """Units of ``throughput_unit`` in ``batch`` (default: the batch length)."""
        for v in batch.values():
            if hasattr(v, "shape") and len(v.shape) > 0:
                return int(v.shape[0])
            if isinstance(v, list):
                return len(v)
        return 1

    def export(self, out_dir: str) -> ExportedModel | None:
        """Optionally write the trained model into ``out_dir`` for serving (``None``: no export)."""
        return None

    def cleanup(self) -> None:
        """Remove what the adapter wrote to temporary folders (a YOLO run folder, say). The
        runner calls it when the cell ends, whatever its outcome, after the export."""
        return None


def log_exported_model(tracker: Tracker, run_id: str, adapter: ModelAdapter) -> None:
    """Export ``adapter``'s trained model and hand it to every ``MODEL_LOGGERS`` entry.

    An export failure is recorded (tag ``model_export`` and a traceback artifact) but does not
    fail the cell: its scores stand without a served model.
    """
    import logging
    import tempfile
    import traceback

    with tempfile.TemporaryDirectory() as tmp:
        try:
            exported = adapter.export(tmp)
            if exported is not None:
                for logger in MODEL_LOGGERS:
                    logger(tracker, run_id, exported)
        except Exception as exc:
            logging.getLogger(__name__).warning("model export of run %s failed: %s", run_id, exc)
            tracker.set_tags(run_id, {"model_export": f"failed: {type(exc).__name__}: {exc}"})
            tracker.log_text(run_id, traceback.format_exc(), "model_export_error.txt")
            return
    state = "none" if exported is None else ("logged" if MODEL_LOGGERS else "no logger")
    tracker.set_tags(run_id, {"model_export": state})


def latency_metrics(
    predict_s: float, n_samples: int, n_units: int, n_calls: int, unit: str
) -> dict[str, float]:
    """Per-cell inference figures from the test split (``predict`` calls only, data loading
    excluded): ms per sample, units per second, and the mean batch size of those calls."""
    return {
        "latency/ms_per_sample": 1000.0 * predict_s / max(n_samples, 1),
        f"throughput/{unit}s_per_s": n_units / max(predict_s, 1e-9),
        "latency/batch_size": n_samples / max(n_calls, 1),
    }
