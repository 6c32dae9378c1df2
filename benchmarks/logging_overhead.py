#!/usr/bin/env python
"""Share of training-step time spent in experiment tracking.

Trains a ResNet-18 segmentation-sized step (batch 16 × 3 × 128², CPU) with the shared
``TorchFitLoop`` for a few epochs, logging the per-step loss (every step, the worst case) and
per-epoch validation metrics through our batched ``MLflowTracker`` on a fresh SQLite store. The
peer is the common recipe: ``mlflow.log_metric`` one call per value on the same kind of store.
Both are timed inside the same process, around the tracker calls only.

    python benchmarks/logging_overhead.py            # ~2-3 min on 2 cores

Ends with ``RESULT logging_overhead tracker_share_pct=<ours> goal=1.0 PASS|FAIL``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


class RandomImages:
    """Random tensors of a realistic chip size: the benchmark measures logging, not learning."""

    def __init__(self, n: int, size: int = 128, classes: int = 4):
        import torch

        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 3, size, size, generator=g)
        self.y = torch.randint(0, classes, (n,), generator=g)
        self.info: dict = {}

    def setup(self, label_fraction=1.0, seed=0):
        pass

    def num_samples(self, split):
        return len(self.x)

    def loader(self, split, batch_size, shuffle=None):
        n = len(self.x) if split == "train" else batch_size
        for i in range(0, n, batch_size):
            yield {"image": self.x[i : i + batch_size], "label": self.y[i : i + batch_size]}


class Timed:
    """Wraps a callable and accumulates its wall time."""

    def __init__(self, fn):
        self.fn, self.total, self.calls = fn, 0.0, 0

    def __call__(self, *a, **kw):
        t0 = time.perf_counter()
        try:
            return self.fn(*a, **kw)
        finally:
            self.total += time.perf_counter() - t0
            self.calls += 1


def train(epochs: int, steps: int, log_step, log_epoch) -> float:
    import torch
    import torch.nn.functional as F
    import torchvision

    from geoarena.core.config import TrainConfig
    from geoarena.core.fit_loop import TorchFitLoop

    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = torchvision.models.resnet18(num_classes=4)
    data = RandomImages(16 * steps)
    loop = TorchFitLoop(
        model,
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=lambda: {f"val/m{i}": float(i) for i in range(12)},
        monitor="val/m1",
        device="cpu",
        on_step=log_step,
        log_every=1,
    )
    t0 = time.perf_counter()
    loop.fit(
        data, TrainConfig(epochs=epochs, batch_size=16, lr=1e-3, early_stop_patience=0), log_epoch
    )
    return time.perf_counter() - t0


def ours(tmp: Path, epochs: int, steps: int) -> tuple[float, float, int]:
    from geoarena.core.mlflow_tracker import MLflowTracker

    tracker = MLflowTracker("overhead", tracking_uri=f"sqlite:///{tmp / 'ours.db'}")
    run_id = tracker.start_run("ours")
    log = Timed(tracker.log_metrics)
    flush = Timed(tracker.flush)

    def on_epoch(epoch, metrics):
        log(run_id, metrics, step=epoch)
        flush(run_id)  # the runner flushes at the end; flushing every epoch is the worse case

    total = train(epochs, steps, lambda s, m: log(run_id, m, step=s), on_epoch)
    end = Timed(tracker.end_run)
    end(run_id)
    return log.total + flush.total + end.total, total, log.calls


def peer(tmp: Path, epochs: int, steps: int) -> tuple[float, float, int]:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'peer.db'}")
    mlflow.set_experiment("overhead-peer")
    log = Timed(mlflow.log_metric)
    with mlflow.start_run():

        def on_step(step, metrics):
            for k, v in metrics.items():
                log(k, v, step=step)

        def on_epoch(epoch, metrics):
            for k, v in metrics.items():
                log(k, v, step=epoch)

        total = train(epochs, steps, on_step, on_epoch)
    return log.total, total, log.calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        peer(tmp, 1, 2)  # warm-up: imports, schema creation
        p_log, p_total, p_calls = peer(tmp, args.epochs, args.steps)
        o_log, o_total, o_calls = ours(tmp, args.epochs, args.steps)
    steps = args.epochs * args.steps
    ours_pct = 100 * o_log / o_total
    peer_pct = 100 * p_log / p_total
    print(f"steps: {steps}, step time ~{1000 * o_total / steps:.0f} ms")
    print(
        f"ours  (batched MLflowTracker): {o_log * 1000:.1f} ms in {o_calls} calls = {ours_pct:.3f}% of training time"
    )
    print(
        f"peer  (mlflow.log_metric each): {p_log * 1000:.1f} ms in {p_calls} calls = {peer_pct:.3f}% of training time"
    )
    print(
        f"RESULT logging_overhead tracker_share_pct={ours_pct:.3f} goal=1.0 {'PASS' if ours_pct <= 1.0 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
