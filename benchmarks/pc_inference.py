"""Tiled LiDAR inference throughput and memory vs the naive whole-cloud pipeline.

    .venv/bin/python benchmarks/pc_inference.py [--copies 56] [--model random-forest]

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

Reports points/s and peak RSS of both; the final RESULT line is the points/s of the tiled
pipeline on the 2 M-point cloud, PASS when it is ≥ ``--goal-pps`` and its peak RSS grows by at most
25 % when the cloud doubles.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

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
    ap.add_argument("--copies", type=int, default=56)
    ap.add_argument(
        "--model", default="random-forest", choices=["random-forest", "randla", "pointnet2"]
    )
    ap.add_argument("--tile-m", type=float, default=100.0)
    ap.add_argument("--goal-pps", type=float, default=20000.0)
    ap.add_argument(
        "--skip-naive-2x", action="store_true", help="skip the naive run on the doubled cloud"
    )
    ap.add_argument(
        "--window-ablation",
        action="store_true",
        help="also run the tiled pipeline with whole-window features and per-tile predictions",
    )
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
    rows = []
    with tempfile.TemporaryDirectory(prefix="pc-bench-") as tmp:
        tmp = Path(tmp)
        model_path = tmp / "model.pkl"
        with open(model_path, "wb") as f:
            pickle.dump((adapter, GROUND_VEGETATION_BRIDGE), f)
        clouds = {}
        for factor in (1, 2):
            clouds[factor] = tmp / f"cloud_{factor}x.las"
            make_replicated(src, clouds[factor], args.copies * factor)
        # ours on both sizes first (the RESULT figure and the memory check), then the peer
        plan = (
            [(1, "tiled"), (2, "tiled")]
            + ([(1, "tiled-window")] if args.window_ablation else [])
            + [(1, "naive")]
            + ([] if args.skip_naive_2x else [(2, "naive")])
        )
        for factor, mode in plan:
            cmd = [
                sys.executable,
                __file__,
                "--tile-m",
                str(args.tile_m),
                "--worker",
                mode,
                str(clouds[factor]),
                str(model_path),
                str(tmp / f"out_{mode}_{factor}x.las"),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                print(proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{mode} worker failed on {clouds[factor]}")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            load = "/".join(f"{v:.2f}" for v in os.getloadavg())
            print(
                f"{mode:12s} {row['points']:>9,d} pts  {row['seconds']:7.1f} s  {row['points_per_s']:>9,.0f} pts/s  peak RSS {row['peak_rss_mb']:7.0f} MB  load {load}",
                flush=True,
            )
    tiled = [r for r in rows if r["mode"] == "tiled"]
    growth = tiled[1]["peak_rss_mb"] / tiled[0]["peak_rss_mb"]
    naive = [r for r in rows if r["mode"] == "naive"]
    print(f"tiled peak RSS growth when the cloud doubles: x{growth:.2f}")
    if len(naive) == 2:
        print(
            f"naive peak RSS growth when the cloud doubles: x{naive[1]['peak_rss_mb'] / naive[0]['peak_rss_mb']:.2f}"
        )
    pps = tiled[0]["points_per_s"]
    ok = pps >= args.goal_pps and growth <= 1.25
    print(
        f"RESULT pc_inference points_per_s={pps:.0f} goal={args.goal_pps:.0f} {'PASS' if ok else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
