"""Large-scene inference: streaming ``geoarena.eo.inference.predict_scene`` vs the in-memory recipe.

Writes a 4096² and an 8192² 6-band uint16 GeoTIFF (EPSG:32616, tiled, DEFLATE) and runs one small
segmentation model (< 0.5 M parameters, seeded) over them; every measurement runs in its own
subprocess so that its peak RSS (``ru_maxrss``) is its own.

* memory: peak RSS of streaming the 8192² scene ≤ 1.1 × that of the 4096² scene;
* speed: streaming (batched windows, band-of-rows accumulators, COG written) ≥ 1.5 × faster than
  the in-memory recipe (read the whole raster, loop windows one at a time through the model,
  accumulate Gaussian-weighted softmax in full-size arrays, normalise, argmax, write a GeoTIFF)
  on the 4096² scene at equal window/stride; both class maps must be identical;
* the COG opens in GDAL with the input CRS and is a valid COG (tiled, with overviews).

    .venv/bin/python benchmarks/scene_inference.py [--window 256 --stride 192 --batch 16]

Prints ``RESULT scene_inference speedup=<x> goal=1.5 rss_ratio=<r> goal=1.1 PASS|FAIL`` last.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BANDS = 6


def small_model():
    """6 → 2 classes, three convolutions, ~1.3 k parameters (pipeline-bound, not model-bound)."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(BANDS, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 2, 1),
    )
    return net.eval()


def write_scene(path: Path, size: int) -> None:
    """Smooth fields plus noise (compressible like real imagery), written in 1024-row bands."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=BANDS,
        dtype="uint16",
        crs="EPSG:32616",
        transform=from_origin(733601.0, 3725139.0, 0.5, 0.5),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    rng = np.random.default_rng(0)
    xx = np.linspace(0, 40, size, dtype=np.float32)
    with rasterio.open(path, "w", **profile) as dst:
        for r in range(0, size, 1024):
            yy = np.linspace(r / size * 40, (r + 1024) / size * 40, 1024, dtype=np.float32)[:, None]
            base = 1500 + 800 * np.sin(xx[None] * 0.7) * np.cos(yy * 0.9)
            block = np.stack([base * (1 + 0.1 * b) for b in range(BANDS)])
            block += rng.normal(0, 60, size=block.shape).astype(np.float32)
            dst.write(block.clip(0, 65535).astype(np.uint16), window=Window(0, r, size, 1024))


def child(mode: str, scene: str, out: str, window: int, stride: int, batch: int) -> None:
    import torch

    from geoarena.eo.inference.scene import PredictConfig, in_memory_predict, predict_scene

    torch.set_num_threads(2)
    cfg = PredictConfig(
        window=window,
        stride=stride,
        batch_size=batch,
        num_classes=2,
        mean=[1500.0 * (1 + 0.1 * b) for b in range(BANDS)],
        std=[600.0] * BANDS,
    )
    model = small_model()
    t0 = time.perf_counter()
    if mode == "stream":
        predict_scene(model, scene, out, cfg)
    else:
        import rasterio

        classes = in_memory_predict(model, scene, cfg)
        with rasterio.open(scene) as src:
            prof = {**src.profile, "count": 1, "dtype": "uint8", "nodata": None}
        with rasterio.open(out, "w", **prof) as dst:
            dst.write(classes[None])
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "scene": scene, "seconds": seconds, "peak_rss_mb": rss_mb}))


def measure(mode: str, scene: Path, out: Path, args) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--scene",
        str(scene),
        "--out",
        str(out),
        "--window",
        str(args.window),
        "--stride",
        str(args.stride),
        "--batch",
        str(args.batch),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--stride", type=int, default=192)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--sizes", type=int, nargs=2, default=(4096, 8192))
    ap.add_argument("--child", choices=("stream", "memory"))
    ap.add_argument("--scene")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.scene, args.out, args.window, args.stride, args.batch)
        return
    import rasterio

    small, large = args.sizes
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for s in (small, large):
            write_scene(tmp / f"scene_{s}.tif", s)
        runs = {
            "stream_small": measure(
                "stream", tmp / f"scene_{small}.tif", tmp / "stream_small.tif", args
            ),
            "memory_small": measure(
                "memory", tmp / f"scene_{small}.tif", tmp / "memory_small.tif", args
            ),
            "stream_large": measure(
                "stream", tmp / f"scene_{large}.tif", tmp / "stream_large.tif", args
            ),
        }
        for name, r in runs.items():
            print(f"{name:13s} {r['seconds']:8.1f} s   peak RSS {r['peak_rss_mb']:8.1f} MB")
        with (
            rasterio.open(tmp / "stream_small.tif") as a,
            rasterio.open(tmp / "memory_small.tif") as b,
        ):
            same = bool((a.read(1) == b.read(1)).all())
            info = {
                "crs": str(a.crs),
                "tiled": a.profile.get("tiled"),
                "overviews": a.overviews(1),
                "layout": a.tags(ns="IMAGE_STRUCTURE").get("LAYOUT"),
                "crs_ok": a.crs == b.crs,
            }
        print(f"class maps identical: {same}; COG: {info}")
    speed = runs["memory_small"]["seconds"] / runs["stream_small"]["seconds"]
    rss = runs["stream_large"]["peak_rss_mb"] / runs["stream_small"]["peak_rss_mb"]
    ok = speed >= 1.5 and rss <= 1.1 and same and info["crs_ok"] and info["layout"] == "COG"
    print(
        f"RESULT scene_inference speedup={speed:.2f} goal=1.5 rss_ratio={rss:.3f} goal=1.1 {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
