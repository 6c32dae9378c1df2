"""Tiled LiDAR inference throughput and memory vs the naive whole-cloud pipeline.

    .venv/bin/python benchmarks/pc_inference.py [--copies 14] [--rounds 3]

Fits the model on the real IGN LiDAR HD tile (laspy 2.7.0 sdist, fetched with samples.py),
writes a cloud of ``copies`` replicated tiles (56 × 37,805 = 2.1 M points; each copy shifted by
1 km, as neighbouring LiDAR HD tiles are) and one twice as large, then classifies each in a
fresh subprocess (so peak RSS is measured separately) with

- ours: ``geoarena.pc.classify.classify_las`` (bucketed tiles + halo, streaming LAS write); the
  forest is a ``pointwise`` predictor, so features are computed for each tile's own points only
  (the halo serves as their neighbourhood) and predictions are batched over tiles;
- ablation (``tiled-window``, ``--window-ablation``): the same tiling with features computed for
  the whole window (core + halo) and one prediction call per tile, as the pipeline did before;
- peer: the naive pipeline (``laspy.read`` the whole cloud, features and prediction on all
  points at once, ``LasData.write``).

Every run is a fresh subprocess with its threads pinned (``--threads``, the same on every side);
the runs are interleaved for ``--rounds`` rounds (benchmarks/_harness.py). RESULT lines:
``pc_inference_vs_naive`` (naive seconds / tiled seconds on the same cloud),
``pc_inference_memory`` (tiled peak RSS on the doubled cloud / on the cloud, goal <= 1.25) and
last ``pc_inference points_per_s`` (tiled, the cloud; goal ``--goal-pps``).
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Bench, Side, child_env, interleave, resolve_threads

IGN = "laspy-2.7.0/tests/data/append-bug.laz"


def make_replicated(src: Path, out: Path, copies: int) -> int:
    """Write ``copies`` of ``src`` on a grid of 1 km offsets (same header, scales, CRS)."""
    import laspy

    las = laspy.read(src)
    cols = int(np.ceil(np.sqrt(copies)))
    header = las.header
    with laspy.open(out, mode="w", header=header, do_compress=out.suffix == ".laz") as w:
        for c in range(copies):
            pts = las.points.copy()
            dx, dy = (c % cols) * 1000.0, (c // cols) * 1000.0
            pts.X = pts.X + round(dx / header.scales[0])
            pts.Y = pts.Y + round(dy / header.scales[1])
            w.write_points(pts)
    return copies * len(las.points)


def peak_rss_mb() -> float:
    """This process's own peak RSS. ``VmHWM`` is reset by exec; ``ru_maxrss`` is not (a child
    started from a big parent would report the parent's peak), so it is only the fallback."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(mode: str, src: Path, model_path: Path, out: Path, tile_m: float) -> dict:
    from geoarena.pc.classify import TilingConfig, adapter_predictor, classify_las

    with open(model_path, "rb") as f:  # written by this benchmark's parent process
        adapter, class_map = pickle.load(f)
    predict = adapter_predictor(adapter)
    if mode == "tiled-window":  # same predictions, without the pointwise shortcut

        def predict(xyz_m, feats, n, _p=predict):
            return _p(xyz_m, feats[:n], n)

    t0 = time.perf_counter()
    if mode in ("tiled", "tiled-window"):
        stats = classify_las(src, out, predict, class_map, TilingConfig(tile_m=tile_m))
        n = int(stats["points"])
    else:
        import laspy

        from geoarena.pc.features import compute_features
        from geoarena.pc.io import read_las

        cloud = read_las(src)
        feats, _ = compute_features(cloud)
        xyz_m = (cloud.xyz - cloud.xyz.min(axis=0)) * cloud.unit_to_metre
        labels = class_map.decode(predict(xyz_m, feats, len(feats)).argmax(axis=1))
        las = laspy.read(src)
        las.classification = labels
        las.write(out)
        n = len(cloud)
    dt = time.perf_counter() - t0
    rss_mb = peak_rss_mb()
    return {"mode": mode, "points": n, "seconds": dt, "points_per_s": n / dt, "peak_rss_mb": rss_mb}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=14)
    ap.add_argument(
        "--model", default="random-forest", choices=["random-forest", "randla", "pointnet2"]
    )
    ap.add_argument("--tile-m", type=float, default=100.0)
    ap.add_argument("--goal-pps", type=float, default=20000.0)
    ap.add_argument(
        "--window-ablation",
        action="store_true",
        help="also run the tiled pipeline with whole-window features and per-tile predictions",
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="threads of every run")
    ap.add_argument("--worker", nargs=4, metavar=("MODE", "SRC", "MODEL", "OUT"))
    args = ap.parse_args()
    if args.worker:
        mode, src, model, out = args.worker
        print(json.dumps(worker(mode, Path(src), Path(model), Path(out), args.tile_m)))
        return 0

    from geoarena.core.config import TrainConfig
    from geoarena.core.samples import sample_path
    from geoarena.pc.asprs import GROUND_VEGETATION_BRIDGE
    from geoarena.pc.pipeline import fit_on_las

    threads = resolve_threads(args.threads)
    bench = Bench("pc_inference", ["laspy", "scikit-learn", "numpy", "scipy", "torch"])
    src = sample_path("laspy-2.7.0-sdist") / IGN
    kwargs = {"n_estimators": 30} if args.model == "random-forest" else {}
    adapter, _ = fit_on_las(
        src,
        GROUND_VEGETATION_BRIDGE,
        args.model,
        TrainConfig(epochs=3, batch_size=4, lr=0.01),
        kwargs,
        device="cpu",
    )
    with tempfile.TemporaryDirectory(prefix="pc-bench-") as tmp:
        tmp = Path(tmp)
        model_path = tmp / "model.pkl"
        with open(model_path, "wb") as f:
            pickle.dump((adapter, GROUND_VEGETATION_BRIDGE), f)
        clouds = {}
        for factor in (1, 2):
            clouds[factor] = tmp / f"cloud_{factor}x.las"
            make_replicated(src, clouds[factor], args.copies * factor)

        def run_of(mode: str, factor: int):
            cmd = [sys.executable, __file__, "--tile-m", str(args.tile_m), "--worker", mode]
            cmd += [str(clouds[factor]), str(model_path), str(tmp / f"out_{mode}_{factor}x.las")]

            def run() -> dict:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(threads))
                if proc.returncode:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"{mode} worker failed on {clouds[factor]}")
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                return {k: row[k] for k in ("seconds", "points", "points_per_s", "peak_rss_mb")}

            return run

        tiled = Side("ours tiled", run_of("tiled", 1), threads, "classify_las")
        tiled2 = Side("ours tiled, doubled cloud", run_of("tiled", 2), threads)
        naive = Side("naive whole cloud", run_of("naive", 1), threads, "laspy.read + all points")
        sides = [tiled, tiled2, naive]
        if args.window_ablation:
            sides.append(Side("ablation tiled-window", run_of("tiled-window", 1), threads))
        interleave(sides, args.rounds, warmup=0)
    bench.summary(sides, keys=("points_per_s", "peak_rss_mb"))
    thr = f"ours:{threads},naive:{threads}"
    bench.result(
        "speedup", naive.seconds(), tiled.seconds(), 1.0, thr, name="pc_inference_vs_naive"
    )
    rss = lambda side: [r["peak_rss_mb"] for r in side.runs]  # noqa: E731
    bench.result(
        "rss_growth",
        rss(tiled2),
        rss(tiled),
        1.25,
        f"ours:{threads}",
        higher_is_better=False,
        name="pc_inference_memory",
        extra="(2x cloud vs 1x)",
    )
    bench.done()
    bench.result(
        "points_per_s",
        [r["points"] for r in tiled.runs],
        tiled.seconds(),
        args.goal_pps,
        f"ours:{threads}",
        extra=f"points={tiled.runs[0]['points']}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
