#!/usr/bin/env python
"""Share of training-step time spent in experiment tracking.

Trains a ResNet-18 segmentation-sized step (batch 16 × 3 × 128², CPU) with the shared
``TorchFitLoop`` for a few epochs, logging the per-step loss (every step, the worst case) and
per-epoch validation metrics through our batched ``MLflowTracker`` on a fresh SQLite store. The
peer is the common recipe: ``mlflow.log_metric`` one call per value on the same kind of store.
Both are timed inside the same process, around the tracker calls only, interleaved for
``--rounds`` rounds with the same pinned thread count (benchmarks/_harness.py); each round trains
afresh on a fresh store.

    python benchmarks/logging_overhead.py     # ~3-5 min on 2 cores

RESULT lines: ``logging_overhead_vs_mlflow`` (the peer's tracker seconds / ours) and last
``logging_overhead tracker_share=<ours: tracker seconds / training seconds> goal=0.01``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Bench, Side, interleave, resolve_threads, standard_args

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


def train(epochs: int, steps: int, log_step, log_epoch, size: int) -> float:
    import torch
    import torch.nn.functional as F
    import torchvision

    from geoarena.core.config import TrainConfig
    from geoarena.train.fit_loop import TorchFitLoop

    torch.manual_seed(0)  # threads: pinned by the harness around each side
    model = torchvision.models.resnet18(num_classes=4)
    data = RandomImages(16 * steps, size)
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


def ours(tmp: Path, epochs: int, steps: int, size: int) -> tuple[float, float, int]:
    from geoarena.store.mlflow_tracker import MLflowTracker

    tracker = MLflowTracker(
        "overhead", tracking_uri=f"sqlite:///{tmp / f'ours{time.time_ns()}.db'}"
    )
    run_id = tracker.start_run("ours")
    log = Timed(tracker.log_metrics)
    flush = Timed(tracker.flush)

    def on_epoch(epoch, metrics):
        log(run_id, metrics, step=epoch)
        flush(run_id)  # the runner flushes at the end; flushing every epoch is the worse case

    total = train(epochs, steps, lambda s, m: log(run_id, m, step=s), on_epoch, size)
    end = Timed(tracker.end_run)
    end(run_id)
    return log.total + flush.total + end.total, total, log.calls


def peer(tmp: Path, epochs: int, steps: int, size: int) -> tuple[float, float, int]:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp / f'peer{time.time_ns()}.db'}")
    mlflow.set_experiment("overhead-peer")
    log = Timed(mlflow.log_metric)
    with mlflow.start_run():

        def on_step(step, metrics):
            for k, v in metrics.items():
                log(k, v, step=step)

        def on_epoch(epoch, metrics):
            for k, v in metrics.items():
                log(k, v, step=epoch)

        total = train(epochs, steps, on_step, on_epoch, size)
    return log.total, total, log.calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--size", type=int, default=128, help="image side (ResNet-18, batch 16)")
    standard_args(ap, rounds=3)
    args = ap.parse_args()
    threads = resolve_threads(args.threads)
    bench = Bench("logging_overhead", ["mlflow", "torch", "torchvision"])
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)

        def side(fn):
            def run() -> dict:
                log_s, total_s, calls = fn(tmp, args.epochs, args.steps, args.size)
                return {"seconds": log_s, "train_s": total_s, "calls": calls}

            return run

        peer_side = Side("peer mlflow.log_metric each", side(peer), threads, "one call per value")
        ours_side = Side("ours MLflowTracker", side(ours), threads, "batched, flushed per epoch")
        interleave([peer_side, ours_side], args.rounds, warmup=1)
    bench.summary([peer_side, ours_side], keys=("train_s", "calls"))
    steps = args.epochs * args.steps
    print(f"steps per run: {steps}, step time ~{ours_side.median('train_s') / steps:.2f} s")
    thr = f"ours:{threads},peer:{threads}"
    bench.result(
        "tracker_time_ratio",
        peer_side.seconds(),
        ours_side.seconds(),
        1.0,
        thr,
        name="logging_overhead_vs_mlflow",
        extra="(peer tracker seconds / ours)",
    )
    bench.done()
    bench.result(
        "tracker_share",
        ours_side.seconds(),
        [r["train_s"] for r in ours_side.runs],
        0.01,
        thr,
        higher_is_better=False,
        extra="(ours: tracker seconds / training seconds)",
    )


if __name__ == "__main__":
    main()
