"""``run(cfg)``: the only place where a cell's stages are sequenced.

resolve → start run → seed → data setup → build → fit (validation each epoch, pruning hook) →
test → log (metrics, tags, artifacts) → ``RunResult``. A failure at any stage ends the run as
FAILED with its traceback as an artifact; the caller (suite or sweep) decides whether to go on.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoarena.core.config import RunConfig
from geoarena.core.errors import ConfigError, Pruned
from geoarena.core.honoured import check_frozen, check_protocol
from geoarena.core.model import FitResult, ModelAdapter, latency_metrics, log_exported_model
from geoarena.core.protocol import EvalProtocol
from geoarena.core.provenance import git_sha
from geoarena.core.registry import MODELS, PROTOCOLS, TASKS
from geoarena.core.task import DataContext, DataModule, Task, default_cache_dir
from geoarena.core.tracking import NullTracker, Tracker

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Outcome of one cell. ``status`` is FINISHED, FAILED or PRUNED."""

    run_id: str
    status: str
    config_hash: str
    val: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    fit: FitResult | None = None
    error: str | None = None
    duration_s: float = 0.0
    n_params: int = 0
    skipped: bool = False
    #: test-split inference cost (``latency/*``, ``throughput/*``): a second sweep objective
    latency: dict[str, float] = field(default_factory=dict)

    def primary(self, task: Task, split: str = "test") -> float | None:
        return (self.test if split == "test" else self.val).get(f"{split}/{task.metric}")


@dataclass(frozen=True)
class Resolved:
    task: Task
    protocol: EvalProtocol
    model_factory: Callable[..., ModelAdapter]


def resolve(cfg: RunConfig) -> Resolved:
    """Look up the task, model and protocol; check the model supports the task's kind."""
    task = TASKS.get(cfg.task)
    protocol = PROTOCOLS.get(cfg.protocol)
    entry = MODELS.entry(cfg.model)
    kinds = entry.meta.get("kinds")
    if kinds and task.kind not in kinds:
        raise ConfigError(
            f"model {cfg.model!r} supports task kinds {tuple(kinds)}, not {task.kind!r} ({cfg.task})"
        )
    check_protocol(cfg.model, cfg.protocol)
    if not 0 < cfg.label_fraction <= 1:
        raise ConfigError(f"label_fraction must be in (0, 1], got {cfg.label_fraction}")
    return Resolved(task, protocol, entry.obj)


def cell_tags(cfg: RunConfig) -> dict[str, str]:
    """The tags every cell run carries (design: task model protocol label_fraction seed suite git_sha)."""
    return {
        "task": cfg.task,
        "model": cfg.model,
        "protocol": cfg.protocol,
        "label_fraction": str(cfg.label_fraction),
        "seed": str(cfg.seed),
        "suite": cfg.suite,
        "git_sha": git_sha(),
        "config_hash": cfg.hash(),
    }


def run(
    cfg: RunConfig,
    tracker: Tracker | None = None,
    parent_id: str | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    tags: dict[str, str] | None = None,
    raise_errors: bool = False,
    artifacts: bool = True,
) -> RunResult:
    """Run one cell end to end and log it as one (child) run of ``tracker``.

    Args:
        cfg: the cell.
        tracker: where to log (default: an in-memory ``NullTracker``).
        parent_id: suite or study parent run.
        on_epoch: extra per-epoch hook (Optuna pruning); may raise ``Pruned``.
        tags: extra tags (``optuna.study``, ``optuna.trial``…).
        raise_errors: re-raise failures after logging them (sweeps want the exception).
        artifacts: write config, plots and sample predictions as artifacts.
    """
    from geoarena.core.seeding import seed_everything

    tracker = tracker or NullTracker()
    t0 = time.perf_counter()
    chash = cfg.hash()
    name = f"{cfg.task}|{cfg.model}|{cfg.protocol}|lf{cfg.label_fraction}|s{cfg.seed}"
    # resume (issue 14): re-open this cell's interrupted run if it stored a checkpoint
    from geoarena.core.checkpoint import CheckpointStore, checkpointing, resumable_run

    run_id = tracker.start_run(
        name,
        tags={**cell_tags(cfg), **(tags or {})},
        parent_id=parent_id,
        run_id=resumable_run(tracker, cfg),
    )
    result = RunResult(run_id=run_id, status="RUNNING", config_hash=chash)
    adapter: ModelAdapter | None = None
    try:
        tracker.log_params(run_id, cfg.flat())
        res = resolve(cfg)
        task = res.task
        seed_everything(cfg.seed)
        ctx = DataContext(
            data_root=Path(cfg.data_root) if cfg.data_root else None,
            cache_dir=Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir(),
            quick=cfg.quick,
        )
        data = task.datamodule(ctx)
        data.setup(label_fraction=cfg.label_fraction, seed=cfg.seed)
        adapter = res.model_factory(**cfg.model_kwargs)
        adapter.build(task, res.protocol, cfg, data)
        result.n_params = adapter.num_parameters()
        trainable = adapter.num_trainable_parameters()
        check_frozen(res.protocol, result.n_params, trainable)
        tracker.set_tags(run_id, _result_tags(task, res.protocol, adapter, data, cfg))
        tracker.log_metrics(
            run_id,
            {
                "model/params": result.n_params,
                "model/trainable_params": trainable,
                "time/setup_s": time.perf_counter() - t0,
            },
        )

        def epoch_hook(epoch: int, metrics: dict[str, float]) -> None:
            tracker.log_metrics(run_id, metrics, step=epoch)
            if on_epoch is not None:
                on_epoch(epoch, metrics)

        t_fit = time.perf_counter()
        with checkpointing(tracker, run_id):  # issue 14: epoch checkpoints in the run's store
            result.fit = adapter.fit(data, cfg.train, epoch_hook)
        fit_s = time.perf_counter() - t_fit
        result.val = {k: v for k, v in result.fit.best_val.items() if k.startswith("val/")}
        metric = task.metrics()
        t_test = time.perf_counter()
        metric.reset()
        n_test, sample_batch, sample_pred = 0, None, None
        predict_s, n_units, n_calls = 0.0, 0, 0
        for batch in data.loader("test", cfg.train.batch_size, shuffle=False):
            t_pred = time.perf_counter()
            pred = adapter.predict(batch)
            predict_s, n_calls = predict_s + time.perf_counter() - t_pred, n_calls + 1
            n_units += adapter.count_units(batch)
            metric.update(pred, batch)
            n_test += _len(batch)
            if sample_batch is None:
                sample_batch, sample_pred = batch, pred
        test_s = time.perf_counter() - t_test
        result.test = {f"test/{k}": float(v) for k, v in metric.compute().items()}
        final = {
            **{f"best_{k}": v for k, v in result.val.items()},
            **result.test,
            "time/fit_s": fit_s,
            "time/test_s": test_s,
            "time/test_samples_per_s": n_test / max(test_s, 1e-9),
            "fit/best_epoch": result.fit.best_epoch,
            "fit/epochs_run": result.fit.epochs_run,
            **{k: float(v) for k, v in result.fit.extra.get("metrics", {}).items()},
        }
        result.latency = latency_metrics(
            predict_s, n_test, n_units, n_calls, adapter.throughput_unit
        )
        final.update(result.latency)
        tracker.log_metrics(run_id, final, step=max(result.fit.epochs_run, 0))
        tracker.set_tags(run_id, {"latency_device": str(getattr(adapter, "device", "cpu"))})
        if artifacts:
            _log_artifacts(tracker, run_id, cfg, task, metric, adapter, sample_batch, sample_pred)
            log_exported_model(tracker, run_id, adapter)
        if cfg.train.checkpoint_every > 0:  # resume state is dead weight once the cell finished
            CheckpointStore(tracker, run_id).discard()
        result.status = "FINISHED"
        result.duration_s = time.perf_counter() - t0
        tracker.log_metrics(run_id, {"time/total_s": result.duration_s})
        tracker.end_run(run_id, "FINISHED")
        return result
    except Pruned:
        result.status = "PRUNED"
        result.duration_s = time.perf_counter() - t0
        tracker.set_tags(run_id, {"state": "PRUNED"})
        tracker.end_run(run_id, "KILLED")
        raise
    except BaseException as exc:
        tb = traceback.format_exc()
        result.status = "FAILED"
        result.error = f"{type(exc).__name__}: {exc}"
        result.duration_s = time.perf_counter() - t0
        try:
            tracker.set_tags(run_id, {"state": "FAILED", "error": result.error[:5000]})
            tracker.log_text(run_id, tb, "traceback.txt")
        finally:
            tracker.end_run(run_id, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        log.error("cell %s failed: %s", name, result.error)
        if raise_errors or not isinstance(exc, Exception):
            raise
        return result
    finally:
        if adapter is not None:  # temporary run folders go, whatever the outcome
            adapter.cleanup()


def _len(batch: dict[str, Any]) -> int:
    for v in batch.values():
        if hasattr(v, "shape") and len(getattr(v, "shape", ())) > 0:
            return int(v.shape[0])
        if isinstance(v, list):
            return len(v)
    return 1


def _result_tags(
    task: Task, protocol: EvalProtocol, adapter: ModelAdapter, data: DataModule, cfg: RunConfig
) -> dict[str, str]:
    """Tags that become columns of the GEO-Bench-2 results table."""
    card = getattr(adapter, "card", None)
    facts = data.describe()
    return {
        "dataset": task.dataset_name,
        "primary_metric": task.metric,
        "metric_direction": task.direction,
        "modality": task.package,
        "task_kind": task.kind,
        "capabilities": ",".join(task.capabilities),
        "backbone": getattr(card, "backbone", "") or cfg.model,
        "decoder": getattr(card, "decoder", "") or "",
        "weights": getattr(card, "weights", "") or "",
        "frozen_or_full_ft": protocol.frozen_or_full_ft,
        "normalization": facts.get("normalization", ""),
        "input_unit": facts.get("input_unit") or getattr(card, "input_unit", ""),
        "n_params": str(adapter.num_parameters()),
    }


def _log_artifacts(tracker, run_id, cfg, task, metric, adapter, sample_batch, sample_pred) -> None:
    import tempfile

    tracker.log_text(run_id, json.dumps(cfg.to_dict(), indent=2, default=str), "config.json")
    cm = metric.confusion_matrix()
    if cm is not None:
        from geoarena.core.plots import confusion_matrix_figure

        fig = confusion_matrix_figure(
            cm, task.class_names or [str(i) for i in range(len(cm))], title=cfg.task
        )
        tracker.log_figure(run_id, fig, "plots/confusion_matrix.png")
        _close(fig)
    if task.visualize is not None and sample_batch is not None:
        try:
            fig = task.visualize(sample_batch, sample_pred)
        except Exception as exc:  # a plotting bug must not fail a finished run
            log.warning("sample plot for %s failed: %s", cfg.task, exc)
            tracker.log_text(run_id, traceback.format_exc(), "plots/sample_prediction_error.txt")
        else:
            if fig is not None:
                tracker.log_figure(run_id, fig, "plots/sample_prediction.png")
                _close(fig)
    with tempfile.TemporaryDirectory() as tmp:
        for path in adapter.log_artifacts(tmp) or []:
            tracker.log_artifact(run_id, path, "adapter")


def _close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)
