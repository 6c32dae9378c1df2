"""Chip throughput: geoarena-eo's GridChipReader vs TorchGeo 0.8.1 and a plain rasterio loop.

Every side reads every 256×256 chip (256 chips) of the same 4096×4096×6 uint16 GeoTIFF (tiled
256², DEFLATE, EPSG:32616, written by this script) in the same process, interleaved for
``--rounds`` rounds with thread counts pinned per side (benchmarks/_harness.py):

* TorchGeo, main process (``RasterDataset`` + ``GridGeoSampler``, one ``ds[query]`` per chip) at
  1 thread and at N threads (its torch ops use the intra-op pool);
* TorchGeo through ``DataLoader(num_workers=N, collate_fn=stack_samples)`` — its documented way to
  read in parallel, each worker pinned to 1 thread (only when N > 1);
* the floor: a plain rasterio loop, one ``src.read(window=w)`` per chip, 1 thread;
* ours: ``GridChipReader`` at 1 thread and at N threads.

TorchGeo's best configuration at N CPUs is the fastest of its sides by median.

    .venv/bin/python benchmarks/chip_throughput.py [--rounds 5]

RESULT lines: ``chip_throughput_1thread`` (ours vs TorchGeo, both 1 thread),
``chip_reading_vs_floor`` (ours vs the plain rasterio loop, both 1 thread, goal 1.0), and last
``chip_throughput`` (ours at N threads vs TorchGeo's best at N CPUs, goal 3.0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Bench, Side, interleave, resolve_threads, standard_args

CHIP = 256


def write_scene(path: Path, size: int, bands: int = 6) -> None:
    import rasterio
    from rasterio.transform import from_origin

    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=bands,
        dtype="uint16",
        crs="EPSG:32616",
        transform=from_origin(733601.0, 3725139.0, 0.5, 0.5),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    rng = np.random.default_rng(0)
    with rasterio.open(path, "w", **profile) as dst:
        for r in range(0, size, 1024):
            block = rng.integers(0, 4000, size=(bands, 1024, size), dtype=np.uint16)
            dst.write(block, window=rasterio.windows.Window(0, r, size, 1024))


def ours(path: Path, threads: int) -> dict:
    from geoarena.eo.data.chip_reader import GridChipReader

    n = checksum = 0
    for batch in GridChipReader(path, size=CHIP, batch_size=16, threads=threads):
        n += len(batch.data)
        checksum += int(batch.data[:, :, 0, 0].sum())
    return {"chips": n, "checksum": checksum}


def floor(path: Path) -> dict:
    """The plain loop: one dataset, one windowed read per chip, row-major."""
    import rasterio
    from rasterio.windows import Window

    n = checksum = 0
    with rasterio.open(path) as src:
        for r in range(0, src.height - CHIP + 1, CHIP):
            for c in range(0, src.width - CHIP + 1, CHIP):
                chip = src.read(window=Window(c, r, CHIP, CHIP))
                n += 1
                checksum += int(chip[:, 0, 0].sum())
    return {"chips": n, "checksum": checksum}


def _torchgeo_dataset(folder: Path):
    from torchgeo.datasets import RasterDataset

    class Scene(RasterDataset):
        filename_glob = "*.tif"
        is_image = True

    return Scene(paths=str(folder))


def torchgeo_main(folder: Path) -> dict:
    from torchgeo.samplers import GridGeoSampler

    ds = _torchgeo_dataset(folder)
    n = checksum = 0
    for query in GridGeoSampler(ds, size=CHIP, stride=CHIP):
        image = ds[query]["image"]
        assert image.shape[-2:] == (CHIP, CHIP)
        n += 1
        checksum += int(image[:, 0, 0].sum())
    return {"chips": n, "checksum": checksum}


def _one_thread_worker(_):
    import torch

    torch.set_num_threads(1)


def torchgeo_loader(folder: Path, workers: int) -> dict:
    from torch.utils.data import DataLoader
    from torchgeo.datasets import stack_samples
    from torchgeo.samplers import GridGeoSampler

    ds = _torchgeo_dataset(folder)
    loader = DataLoader(
        ds,
        sampler=GridGeoSampler(ds, size=CHIP, stride=CHIP),
        batch_size=16,
        num_workers=workers,
        collate_fn=stack_samples,
        worker_init_fn=_one_thread_worker,
    )
    n = checksum = 0
    for batch in loader:
        n += len(batch["image"])
        checksum += int(batch["image"][:, :, 0, 0].sum())
    return {"chips": n, "checksum": checksum}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    standard_args(ap, rounds=5)
    args = ap.parse_args()
    n_thr = resolve_threads(args.threads)
    bench = Bench("chip_throughput", ["rasterio", "torch", "torchgeo", "numpy"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "scene.tif"
        write_scene(path, args.size)
        tg1 = Side("torchgeo 1 thread", lambda: torchgeo_main(folder), 1, "ds[query] per chip")
        sides = [tg1]
        tg_best = [tg1]
        if n_thr > 1:
            tgn = Side(f"torchgeo {n_thr} threads", lambda: torchgeo_main(folder), n_thr)
            tgl = Side(
                f"torchgeo DataLoader {n_thr} workers",
                lambda: torchgeo_loader(folder, n_thr),
                n_thr,
                "num_workers=N, 1 thread each",
            )
            sides += [tgn, tgl]
            tg_best += [tgn, tgl]
        fl = Side("floor: rasterio loop", lambda: floor(path), 1, "src.read(window) per chip")
        o1 = Side("ours 1 thread", lambda: ours(path, 1), 1, "GridChipReader(threads=1)")
        on = Side(f"ours {n_thr} threads", lambda: ours(path, n_thr), n_thr)
        sides += [fl, o1] + ([on] if n_thr > 1 else [])
        interleave(sides, args.rounds, warmup=1)
    counts = {s.name: {r["chips"] for r in s.runs} for s in sides}
    sums = {s.name: {r["checksum"] for r in s.runs} for s in sides}
    same = len({c for v in counts.values() for c in v}) == 1
    same_data = len({c for v in sums.values() for c in v}) == 1
    bench.summary(sides)
    print(f"chips per run: {counts[o1.name]}; same chips and checksums on every side: {same_data}")
    best = min(tg_best, key=lambda s: s.median())
    print(f"TorchGeo's fastest configuration at {n_thr} CPU(s): {best.name}")
    bench.result(
        "speedup",
        tg1.seconds(),
        o1.seconds(),
        3.0,
        "ours:1,torchgeo:1",
        name="chip_throughput_1thread",
        extra_ok=same and same_data,
    )
    bench.result(
        "ratio",
        fl.seconds(),
        o1.seconds(),
        1.0,
        "ours:1,floor:1",
        name="chip_reading_vs_floor",
        extra_ok=same and same_data,
    )
    top = on if n_thr > 1 else o1
    bench.done()
    bench.result(
        "speedup",
        best.seconds(),
        top.seconds(),
        3.0,
        f"ours:{top.threads},torchgeo:{best.threads}({best.name})",
        extra_ok=same and same_data,
    )


if __name__ == "__main__":
    main()
