"""Large-scene inference: streaming ``geoarena.eo.inference.predict_scene`` vs in-memory recipes.

Writes a ``--sizes`` small and large 6-band uint16 GeoTIFF (EPSG:32616, tiled, DEFLATE) and runs
one small segmentation model (~1.3 k parameters, seeded: pipeline-bound, not model-bound) over
them. Every run is its own subprocess (so its peak RSS is its own) with its threads pinned
(``--threads``, the same on every side), interleaved for ``--rounds`` rounds
(benchmarks/_harness.py):

* ours: ``predict_scene`` — batched windows (``--batch``), band-of-rows accumulators, COG written;
* peer, batched like ours: the in-memory sliding-window recipe (read the whole raster, run the
  windows through the model in batches of ``--batch``, accumulate Gaussian-weighted softmax in
  full-size arrays, normalise, argmax, write a GeoTIFF);
* peer as commonly written (``in_memory_predict``: the same, one window per model call) — once,
  for the record (``--batch1-peer``);
* the floor: the model's forward passes alone over the same windows in the same batches (data
  already in memory, no blending, no I/O).

Checks: class maps of ours and the batched peer identical; the COG opens with the input CRS and
is a valid COG. RESULT lines: ``scene_inference_memory`` (peak RSS of streaming the large scene /
the small one, goal <= 1.1) and last ``scene_inference`` (batched in-memory seconds / ours on
the small scene, goal >= 1.5).

    .venv/bin/python benchmarks/scene_inference.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Bench, Side, child_env, interleave, resolve_threads, standard_args

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


def peak_rss_mb() -> float:
    """This process's own peak RSS (``VmHWM``; unlike ``ru_maxrss`` it is reset by exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_memory_batched(model, scene: str, cfg) -> np.ndarray:
    """The in-memory recipe with the model called on batches of ``cfg.batch_size`` windows."""
    import torch

    from geoarena.eo.data.raster_io import open_raster
    from geoarena.eo.inference.blending import window_weight
    from geoarena.eo.inference.scene import _starts

    with open_raster(scene) as src:
        img = src.read().astype(np.float32)
    img -= np.asarray(cfg.mean, np.float32)[:, None, None]
    img /= np.asarray(cfg.std, np.float32)[:, None, None]
    _, H, W = img.shape
    win = cfg.window
    weight = window_weight(win, cfg.blend)
    acc = np.zeros((cfg.num_classes, H, W), np.float32)
    wsum = np.zeros((H, W), np.float32)
    wins = [(r, c) for r in _starts(H, win, cfg.stride) for c in _starts(W, win, cfg.stride)]
    with torch.inference_mode():
        for b in range(0, len(wins), cfg.batch_size):
            part = wins[b : b + cfg.batch_size]
            x = torch.from_numpy(np.stack([img[:, r : r + win, c : c + win] for r, c in part]))
            p = torch.softmax(model(x), 1).numpy()
            for (r, c), pj in zip(part, p, strict=True):
                acc[:, r : r + win, c : c + win] += pj * weight
                wsum[r : r + win, c : c + win] += weight
    return (acc / wsum).argmax(0).astype(np.uint8)


def forward_floor(model, scene: str, cfg) -> float:
    """Only the model's forward passes over the same windows and batches (data in memory)."""
    import torch

    from geoarena.eo.data.raster_io import open_raster
    from geoarena.eo.inference.scene import _starts

    with open_raster(scene) as src:
        img = src.read().astype(np.float32)
    _, H, W = img.shape
    win = cfg.window
    wins = [(r, c) for r in _starts(H, win, cfg.stride) for c in _starts(W, win, cfg.stride)]
    t0 = time.perf_counter()  # the floor excludes the read: only model calls are timed
    with torch.inference_mode():
        for b in range(0, len(wins), cfg.batch_size):
            part = wins[b : b + cfg.batch_size]
            model(torch.from_numpy(np.stack([img[:, r : r + win, c : c + win] for r, c in part])))
    return time.perf_counter() - t0


def child(args) -> None:
    import rasterio
    import torch

    from geoarena.eo.inference.scene import PredictConfig, in_memory_predict, predict_scene

    torch.set_num_threads(args.threads)
    cfg = PredictConfig(
        window=args.window,
        stride=args.stride,
        batch_size=args.batch,
        num_classes=2,
        mean=[1500.0 * (1 + 0.1 * b) for b in range(BANDS)],
        std=[600.0] * BANDS,
    )
    model = small_model()
    t0 = time.perf_counter()
    seconds = None
    if args.child == "stream":
        predict_scene(model, args.scene, args.out, cfg)
    elif args.child == "floor":
        seconds = forward_floor(model, args.scene, cfg)
    else:
        recipe = in_memory_predict if args.child == "memory1" else in_memory_batched
        classes = recipe(model, args.scene, cfg)
        with rasterio.open(args.scene) as src:
            prof = {**src.profile, "count": 1, "dtype": "uint8", "nodata": None}
        with rasterio.open(args.out, "w", **prof) as dst:
            dst.write(classes[None])
    seconds = seconds if seconds is not None else time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


def subprocess_side(mode: str, scene: Path, out: Path, args, threads: int):
    cmd = [sys.executable, __file__, "--child", mode, "--scene", str(scene), "--out", str(out)]
    cmd += ["--window", str(args.window), "--stride", str(args.stride)]
    cmd += ["--batch", str(args.batch), "--threads", str(threads)]

    def run() -> dict:
        res = subprocess.run(cmd, capture_output=True, text=True, env=child_env(threads))
        if res.returncode:
            raise SystemExit(f"{mode} on {scene} failed:\n{res.stderr[-3000:]}")
        return json.loads(res.stdout.strip().splitlines()[-1])

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--stride", type=int, default=192)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--sizes", type=int, nargs=2, default=(2048, 4096))
    ap.add_argument("--batch1-peer", action="store_true", help="also time in_memory_predict once")
    ap.add_argument("--child", choices=("stream", "memory", "memory1", "floor"))
    ap.add_argument("--scene")
    ap.add_argument("--out")
    standard_args(ap, rounds=3)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    import rasterio

    threads = resolve_threads(args.threads)
    bench = Bench("scene_inference", ["torch", "rasterio", "numpy"])
    small, large = args.sizes
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for s in (small, large):
            write_scene(tmp / f"scene_{s}.tif", s)
        sm, lg = tmp / f"scene_{small}.tif", tmp / f"scene_{large}.tif"
        stream_s = Side(
            f"ours stream {small}",
            subprocess_side("stream", sm, tmp / "s.tif", args, threads),
            threads,
        )
        memory_s = Side(
            f"in-memory batched {small}",
            subprocess_side("memory", sm, tmp / "m.tif", args, threads),
            threads,
            f"batch {args.batch}",
        )
        floor_s = Side(
            f"floor: forward only {small}",
            subprocess_side("floor", sm, tmp / "f.tif", args, threads),
            threads,
            "model calls only",
        )
        stream_l = Side(
            f"ours stream {large}",
            subprocess_side("stream", lg, tmp / "sl.tif", args, threads),
            threads,
        )
        sides = [stream_s, memory_s, floor_s, stream_l]
        interleave(sides, args.rounds, warmup=0)
        if args.batch1_peer:
            b1 = Side(
                f"in-memory batch 1 {small}",
                subprocess_side("memory1", sm, tmp / "m1.tif", args, threads),
                threads,
                "in_memory_predict",
            )
            interleave([b1], 1, warmup=0)
            sides.append(b1)
        bench.summary(sides, keys=("peak_rss_mb",))
        with rasterio.open(tmp / "s.tif") as a, rasterio.open(tmp / "m.tif") as b:
            same = bool((a.read(1) == b.read(1)).all())
            info = {
                "crs": str(a.crs),
                "overviews": a.overviews(1),
                "layout": a.tags(ns="IMAGE_STRUCTURE").get("LAYOUT"),
                "crs_ok": a.crs == b.crs,
            }
    print(f"class maps identical (ours vs batched in-memory): {same}; COG: {info}")
    cog_ok = info["crs_ok"] and info["layout"] == "COG"
    rss = lambda side: [r["peak_rss_mb"] for r in side.runs]  # noqa: E731
    print(
        f"peak RSS median: ours {small}² {stream_s.median('peak_rss_mb'):.0f} MB, "
        f"{large}² {stream_l.median('peak_rss_mb'):.0f} MB; in-memory {small}² "
        f"{memory_s.median('peak_rss_mb'):.0f} MB"
    )
    bench.result(
        "ratio",
        floor_s.seconds(),
        stream_s.seconds(),
        0.0,
        f"ours:{threads},floor:{threads}",
        name="scene_inference_vs_floor",
        extra="(forward-only seconds / ours: the share of our time spent in the model)",
    )
    bench.result(
        "rss_ratio",
        rss(stream_l),
        rss(stream_s),
        1.1,
        f"ours:{threads}",
        higher_is_better=False,
        name="scene_inference_memory",
        extra=f"({large}² vs {small}²)",
    )
    bench.done()
    bench.result(
        "speedup",
        memory_s.seconds(),
        stream_s.seconds(),
        1.5,
        f"ours:{threads},in_memory_batched:{threads}",
        extra_ok=same and cog_ok,
        extra=f"batch={args.batch} identical={same}",
    )


if __name__ == "__main__":
    main()
