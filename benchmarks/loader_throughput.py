"""Loader throughput: samples per second delivered to the model by core's DataLoader pipeline
(2 worker processes, persistent, prefetch 2) vs the main-thread loader every GEO-Bench task used
before it (one ``GeoBenchDataModule.load`` per sample, in the training process, then a stack).

Data: a GEO-Bench v1 ``m-eurosat`` stand-in in the benchmark's real on-disk format, written by
the test generator (``packages/eo/tests/data/geobench/make_data.py``, one HDF5 file per sample,
13 Sentinel-2 bands) at the real dataset's patch size (64 px) and ``--samples`` samples.

The pipeline's workers fetch whole batches (``GeoBenchSplitDataset.__getitems__``: bands read by
HDF5 straight into one shared-memory batch, normalised once); a third side runs that batched fetch
in the main thread (``--workers 0`` settings) so the RESULT lines separate what the batched read
gives from what the worker processes give.

Both sides iterate one shuffled training epoch of the same samples in the same order (the
pipeline's order is the old loader's ``default_rng([seed, epoch])`` permutation) and hand every
batch to a consumer standing in for the model: it touches every value (a sum, as a copy to the
device would). Same process, interleaved rounds (benchmarks/_harness.py), 1 intra-op thread on
both sides; the pipeline's workers are processes of their own — the point of the pipeline.

    flock /tmp/geoarena-cpu.lock .venv/bin/python benchmarks/loader_throughput.py [--rounds 5]

Last line: ``RESULT loader_throughput ratio=<pipeline samples/s ÷ main-thread samples/s> …
goal=1.8 PASS|FAIL`` (PASS when the CI's lower end clears 1.8), with a check that both sides
delivered identical batches.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import REPO, Bench, Side, interleave, standard_args

GENERATOR = REPO / "packages" / "eo" / "tests" / "data" / "geobench" / "make_data.py"
DATASET = "m-eurosat"


def write_fixture(root: Path, samples: int, patch: int) -> Path:
    """The test generator's ``m-eurosat`` at ``samples`` samples of ``patch`` px."""
    spec = importlib.util.spec_from_file_location("geobench_make_data", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.N_SAMPLES, mod.PATCH = samples, patch
    return mod.make_geobench(root, names=(DATASET,))[DATASET]


def datamodule(folder: Path):
    from geoarena.eo.data.geobench import SPECS, GeoBenchDataModule

    dm = GeoBenchDataModule(folder, SPECS[DATASET])
    dm.setup(1.0, seed=0)
    return dm


def consume(batch: dict) -> float:
    """The model's side of the hand-over: every value read once."""
    return float(batch["image"].sum()) + float(batch["label"].sum())


def main_thread_epoch(dm, batch_size: int, epoch: int) -> dict:
    """The loader of every GEO-Bench task before the pipeline (kept verbatim): per batch, each
    sample read in this thread, then stacked."""
    import torch

    names = dm.sample_names("train")
    order = np.random.default_rng([0, epoch]).permutation(len(names))
    n, check = 0, 0.0
    for start in range(0, len(order), batch_size):
        items = [dm.load(names[i]) for i in order[start : start + batch_size]]
        batch = {
            "image": torch.from_numpy(np.stack([x for x, _ in items])),
            "label": torch.from_numpy(np.stack([y for _, y in items])),
        }
        check += consume(batch)
        n += len(items)
    return {"samples": n, "checksum": round(check, 1)}


def pipeline_epoch(dm, batch_size: int, epoch: int) -> dict:
    """Core's pipeline (``PipelineLoaders.loader``) with the loader's workers kept alive."""
    dm.set_epoch(epoch)
    n, check = 0, 0.0
    for batch in dm.loader("train", batch_size, shuffle=True):
        check += consume(batch)
        n += int(batch["image"].shape[0])
    return {"samples": n, "checksum": round(check, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    standard_args(ap, rounds=5)
    ap.add_argument("--samples", type=int, default=384)
    ap.add_argument("--patch", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    from geoarena.train.dataloading import settings_for

    bench = Bench("loader_throughput", ["torch", "h5py", "numpy"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_fixture(Path(tmp), args.samples, args.patch)
        old_dm, new_dm, flat_dm = datamodule(folder), datamodule(folder), datamodule(folder)
        new_dm.configure_loading(settings_for(args.workers, 2, "cpu"))
        epochs = {"old": 0, "new": 0, "flat": 0}

        def run_old():
            epochs["old"] += 1
            return main_thread_epoch(old_dm, args.batch_size, epochs["old"])

        def run_new():
            epochs["new"] += 1
            return pipeline_epoch(new_dm, args.batch_size, epochs["new"])

        def run_flat():
            epochs["flat"] += 1
            return pipeline_epoch(flat_dm, args.batch_size, epochs["flat"])

        old = Side("main-thread loader", run_old, 1, "load() per sample in the training process")
        flat = Side("pipeline 0 workers", run_flat, 1, "batched fetch in the training process")
        new = Side(
            f"pipeline {args.workers} workers",
            run_new,
            1,
            f"DataLoader(num_workers={args.workers}, persistent, prefetch 2)",
        )
        interleave([old, flat, new], args.rounds, warmup=1)
        new_dm.reset_loaders()  # stop the persistent workers
    bench.summary([old, flat, new])
    # the rounds walk the same epochs (1, 2, …) on both sides: identical batches, same order
    sums = [[r["checksum"] for r in side.runs] for side in (old, flat, new)]
    same = sums[0] == sums[1] == sums[2] and all(
        r["samples"] == old.runs[0]["samples"] for r in old.runs + flat.runs + new.runs
    )
    n = old.runs[0]["samples"]
    print(
        f"samples per epoch {n}; main thread {n / old.median():.0f} samples/s, pipeline "
        f"{n / new.median():.0f} samples/s (batched fetch in the main thread "
        f"{n / flat.median():.0f} samples/s); identical batches on both sides: {same}"
    )
    bench.done()
    bench.result(
        "ratio",
        old.seconds(),
        flat.seconds(),
        1.0,
        "main:1,batched:1",
        name="loader_throughput_batched_fetch_only",
        extra="(info: batched fetch without workers)",
    )
    bench.result(
        "ratio",
        flat.seconds(),
        new.seconds(),
        1.0,
        f"batched:1,pipeline:1+{args.workers}workers",
        name="loader_throughput_workers_only",
        extra="(info: what the worker processes add)",
    )
    ok = bench.result(
        "ratio",
        old.seconds(),
        new.seconds(),
        1.8,
        f"main:1,pipeline:1+{args.workers}workers",
        extra_ok=same,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
