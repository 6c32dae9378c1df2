"""Step overhead: time per training step of the harness's ``TorchFitLoop`` (Lightning Fabric,
precision plugin, accumulation bookkeeping, on-device loss sums, the loader pipeline's sampler)
vs a bare PyTorch loop (``zero_grad → forward → loss → backward → step → scheduler``) on the same
model and the same batches.

Model: torchvision ResNet-18 (random init) on ``--batch-size`` × 3 × ``--size``² chips, 10
classes, AdamW + cosine schedule on both sides; both start every round from the same weights and
optimizer state. Each side trains ``--steps`` steps per round; the harness's figure is its own
``time/epoch_s`` (the training part of the epoch, as it reports it) and the bare loop's is the
wall time of its loop. Same process, interleaved rounds, same intra-op threads (benchmarks/
_harness.py); the device is ``--device`` (``cuda`` in benchmarks/gpu_check.sh).

    flock /tmp/geoarena-cpu.lock .venv/bin/python benchmarks/step_overhead.py [--rounds 5]

Last line: ``RESULT step_overhead overhead=<harness/bare − 1> … goal=0.03 PASS|FAIL`` (PASS when
the CI's upper end is ≤ 3 %). The figure is the median of the per-round ratios (the two sides run
back to back in each round, so machine-load drift between rounds cancels within a pair;
``_harness.paired_ratio_ci``); the ratio of the two sides' medians is printed beside it.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    Bench,
    Side,
    bootstrap_ratio_ci,
    interleave,
    load_average,
    paired_ratio_ci,
    standard_args,
)


class ListData:
    """A DataModule over fixed batches (the same tensors the bare loop gets)."""

    def __init__(self, batches):
        self.batches, self.info = batches, {}

    def setup(self, label_fraction=1.0, seed=0):
        pass

    def num_samples(self, split):
        return sum(len(b["label"]) for b in self.batches)

    def loader(self, split, batch_size, shuffle=None):
        return iter(self.batches)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    standard_args(ap, rounds=5)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="32-true")
    args = ap.parse_args(argv)

    import torch
    import torch.nn.functional as F
    import torchvision

    from geoarena.core.config import TrainConfig
    from geoarena.train.fit_loop import TorchFitLoop, build_optimizer, build_scheduler

    threads = args.threads or 1
    bench = Bench("step_overhead", ["torch", "torchvision", "lightning"])
    torch.manual_seed(0)
    dev = torch.device(args.device)
    base = torchvision.models.resnet18(num_classes=10).to(dev)
    batches = [
        {
            "image": torch.randn(args.batch_size, 3, args.size, args.size, device=dev),
            "label": torch.randint(0, 10, (args.batch_size,), device=dev),
        }
        for _ in range(args.steps)
    ]
    train = TrainConfig(
        epochs=1,
        batch_size=args.batch_size,
        lr=1e-3,
        early_stop_patience=0,
        checkpoint_every=0,
        precision=args.precision,
        amp=args.precision != "32-true",
    )
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    autocast = (
        torch.autocast(dev.type, dtype=torch.bfloat16)
        if args.precision == "bf16-mixed"
        else torch.autocast(dev.type, enabled=False)
    )

    def bare() -> dict:
        model = copy.deepcopy(base).train()
        opt = build_optimizer([p for p in model.parameters()], train)
        sched = build_scheduler(opt, train, args.steps)
        sync()
        t0 = time.perf_counter()
        for b in batches:
            opt.zero_grad(set_to_none=True)
            with autocast:
                out = model(b["image"])
            loss = F.cross_entropy(out.float(), b["label"])
            loss.backward()
            opt.step()
            sched.step()
        sync()
        return {"seconds": time.perf_counter() - t0}

    def harness() -> dict:
        model = copy.deepcopy(base)
        loop = TorchFitLoop(
            model,
            lambda out, b: F.cross_entropy(out, b["label"]),
            evaluate=lambda: {"val/none": 0.0},
            monitor="val/none",
            device=args.device,
        )
        seen = {}
        loop.fit(ListData(batches), train, lambda e, m: seen.update(m))
        return {"seconds": seen["time/epoch_s"]}

    sides = [
        Side("bare PyTorch loop", bare, threads, "zero_grad/forward/backward/step/sched"),
        Side("TorchFitLoop (Fabric)", harness, threads, f"precision {args.precision}"),
    ]
    interleave(sides, args.rounds, warmup=1)
    bench.summary(sides)
    bare_s, ours_s = sides[0].seconds(), sides[1].seconds()
    point, lo, hi = paired_ratio_ci(ours_s, bare_s)
    m_point, m_lo, m_hi = bootstrap_ratio_ci(ours_s, bare_s)
    ms = 1000 * sides[0].median() / args.steps
    print(
        f"per step: bare {ms:.1f} ms, harness {1000 * sides[1].median() / args.steps:.1f} ms "
        f"({args.steps} steps of {args.batch_size}×3×{args.size}², {args.device})"
    )
    print(
        f"ratio of medians: overhead {m_point - 1:+.4f} ci95=[{m_lo - 1:+.4f},{m_hi - 1:+.4f}] "
        f"(per-round ratios: {', '.join(f'{o / b - 1:+.3f}' for o, b in zip(ours_s, bare_s))})"
    )
    bench.done()
    ok = hi - 1 <= 0.03
    print(
        f"RESULT step_overhead overhead={point - 1:.4f} ci95=[{lo - 1:.4f},{hi - 1:.4f}] "
        f"threads={threads} device={args.device} load={load_average()} rounds={args.rounds} "
        f"goal=0.03 {'PASS' if ok else 'FAIL'}",
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
