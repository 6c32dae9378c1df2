"""Chip throughput: geoarena-eo's GridChipReader vs TorchGeo 0.8.1 RasterDataset + GridGeoSampler.

Both read every 256×256 chip (256 chips) of the same 4096×4096×6 uint16 GeoTIFF (tiled 256²,
DEFLATE, EPSG:32616), written by this script, in the same process, alternating rounds so that
machine load hits both alike. Goal: ≥ 3× TorchGeo's chips/s (median over rounds).

    .venv/bin/python benchmarks/chip_throughput.py [--size 4096] [--rounds 3] [--threads 2]

Prints ``RESULT chip_throughput speedup=<x> goal=3.0 PASS|FAIL`` last.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


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


def run_ours(path: Path, threads: int) -> tuple[int, float]:
    from geoarena.eo.data.chip_reader import GridChipReader

    t0 = time.perf_counter()
    n = 0
    checksum = 0
    for batch in GridChipReader(path, size=256, batch_size=16, threads=threads):
        n += len(batch.data)
        checksum += int(batch.data[:, :, 0, 0].sum())
    return n, time.perf_counter() - t0


def run_torchgeo(folder: Path) -> tuple[int, float]:
    from torchgeo.datasets import RasterDataset
    from torchgeo.samplers import GridGeoSampler

    class Scene(RasterDataset):
        filename_glob = "*.tif"
        is_image = True

    t0 = time.perf_counter()
    ds = Scene(paths=str(folder))
    n = 0
    for query in GridGeoSampler(ds, size=256, stride=256):
        sample = ds[query]
        assert sample["image"].shape[-2:] == (256, 256)
        n += 1
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "scene.tif"
        write_scene(path, args.size)
        run_ours(path, args.threads)  # warm the page cache for both
        ours, ours1, tg = [], [], []
        for r in range(args.rounds):
            n_t, t_t = run_torchgeo(folder)
            n_o, t_o = run_ours(path, args.threads)
            n_1, t_1 = run_ours(path, 1)
            assert n_t == n_o == n_1, (n_t, n_o, n_1)
            tg.append(n_t / t_t)
            ours.append(n_o / t_o)
            ours1.append(n_1 / t_1)
            print(
                f"round {r}: torchgeo {n_t / t_t:7.1f} chips/s | ours ({args.threads} threads) {n_o / t_o:7.1f} chips/s"
                f" | ours (1 thread) {n_1 / t_1:7.1f} chips/s  [{n_t} chips]"
            )
    speed = statistics.median(ours) / statistics.median(tg)
    speed1 = statistics.median(ours1) / statistics.median(tg)
    print(
        f"median chips/s: torchgeo {statistics.median(tg):.1f}, ours {statistics.median(ours):.1f} "
        f"({args.threads} threads), ours {statistics.median(ours1):.1f} (1 thread, {speed1:.2f}x)"
    )
    print(
        f"RESULT chip_throughput speedup={speed:.2f} goal=3.0 {'PASS' if speed >= 3.0 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
