"""Sliced detection on a large raster: our batched window-by-window slicer vs SAHI.

    .venv/bin/python benchmarks/sliced_detection.py --weights .cache/det_models/neon_yolov8n.pt

Same model, same ≥ 4096² image, same slices (512 px, 0.2 overlap), same per-slice thresholds and
the same merge (NMS, IOU ≥ 0.5, per class). SAHI: ``get_sliced_prediction`` with its
ultralytics model (default ``batch_size=1``; also timed with ``batch_size`` equal to ours, for
the record), given the image array read by rasterio inside the timed region. Ours:
``geoarena.det.slicer.SlicedDetector.predict_raster`` reading windows from the GeoTIFF.
Both are timed ``--repeats`` times alternately after a warm-up; the median is reported.

Threads: each side runs as it ships. ultralytics (and so SAHI) pins torch to ``cores − 1``
intra-op threads (1 on a 2-core machine); our slicer uses every core it may run on
(``SliceConfig.threads``). For the record the benchmark also times ours pinned to SAHI's thread
count (the equal-threads figure), and SAHI with its own ``batch_size`` equal to ours.

The image: the real NEON Yellowstone crop (2299 × 2472 px, 10 cm RGB, deepforest wheel),
mirror-tiled to 4096 × 4096 and written as a tiled GeoTIFF (EPSG:32612) in the cache.

Agreement: COCO AP (mAP@[.5:.95]) of our detections scored against SAHI's as ground truth.
Goal: ≥ 2× faster and AP ≥ 0.99. Final line: ``RESULT sliced_detection speedup=… goal=2 PASS|FAIL``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import numpy as np


def build_raster(out: Path, size: int) -> Path:
    """Mirror-tile the real Yellowstone crop to ``size`` × ``size`` and write a tiled GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin

    from geoarena.det.data_neon import SCENES_VOC, data_dir
    from geoarena.det.formats import read_image

    if out.exists():
        return out
    img = read_image(data_dir() / f"{SCENES_VOC[0]}.png")
    reps = (-(-size // img.shape[0]) + 1, -(-size // img.shape[1]) + 1)
    rows = [
        np.concatenate([img if j % 2 == 0 else img[:, ::-1] for j in range(reps[1])], 1)
        for _ in range(1)
    ]
    row = rows[0]
    big = np.concatenate([row if i % 2 == 0 else row[::-1] for i in range(reps[0])], 0)[
        :size, :size
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32612",
        "transform": from_origin(528000.0, 4978000.0 + size * 0.1, 0.1, 0.1),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(out, "w", **profile) as ds:
        ds.write(big.transpose(2, 0, 1))
    return out


def run_sahi(
    raster: Path, weights: Path, args: argparse.Namespace, batch_size: int
) -> tuple[dict, float]:
    import rasterio
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction

    model = AutoDetectionModel.from_pretrained(
        model_type="ultralytics",
        model_path=str(weights),
        confidence_threshold=args.conf,
        device="cpu",
        image_size=args.slice,
    )
    t0 = time.perf_counter()
    with rasterio.open(raster) as ds:
        image = ds.read([1, 2, 3]).transpose(1, 2, 0)
    res = get_sliced_prediction(
        image,
        model,
        slice_height=args.slice,
        slice_width=args.slice,
        overlap_height_ratio=args.overlap,
        overlap_width_ratio=args.overlap,
        perform_standard_pred=args.full_pass,
        postprocess_type="NMS",
        postprocess_match_metric="IOU",
        postprocess_match_threshold=0.5,
        postprocess_class_agnostic=False,
        verbose=0,
        batch_size=batch_size,
        force_postprocess_type=True,
    )
    dt = time.perf_counter() - t0
    ops = res.object_prediction_list
    out = {
        "boxes": np.array([o.bbox.to_xyxy() for o in ops], dtype=np.float64).reshape(-1, 4),
        "scores": np.array([o.score.value for o in ops], dtype=np.float64),
        "labels": np.array([o.category.id for o in ops], dtype=np.int64),
    }
    return out, dt


def run_ours(
    raster: Path,
    weights: Path,
    args: argparse.Namespace,
    backend: str = "onnxruntime",
    threads: int | None = None,
) -> tuple[dict, float]:
    from geoarena.det.slicer import SliceConfig, SlicedDetector

    cfg = SliceConfig(
        slice_height=args.slice,
        slice_width=args.slice,
        overlap_height_ratio=args.overlap,
        overlap_width_ratio=args.overlap,
        batch_size=args.batch,
        full_image_pass=args.full_pass,
        merge="nms",
        match_metric="iou",
        match_threshold=0.5,
        conf=args.conf,
        backend=backend,
        cache_dir=str(args.cache / "onnx"),
        threads=threads or args.threads,
    )
    det = SlicedDetector(weights, cfg)
    t0 = time.perf_counter()
    out = det.predict_raster(raster)
    return out, time.perf_counter() - t0


def agreement(reference: dict, ours: dict) -> tuple[float, float]:
    from geoarena.det.coco_metric import coco_evaluate

    n = int(max(reference["labels"].max(initial=0), ours["labels"].max(initial=0))) + 1
    gt = {"boxes": reference["boxes"], "labels": reference["labels"]}
    r = coco_evaluate([gt], [ours], n, max_dets=max(len(ours["scores"]), 1))
    return r.ap(), r.ap(0.5)


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--weights",
        type=Path,
        default=Path(".cache/det_models/neon_yolov8n.pt"),
        help="local ultralytics detection weights (.pt); e.g. adapter/best.pt of a det/neon-trees run",
    )
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--slice", type=int, default=512)
    p.add_argument("--overlap", type=float, default=0.2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument(
        "--full-pass", action="store_true", help="also run the full-image pass (both sides)"
    )
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument(
        "--threads", type=int, default=None, help="our forward threads (default: every core)"
    )
    p.add_argument("--cache", type=Path, default=Path(".cache/geoarena/det_bench"))
    args = p.parse_args()
    if not args.weights.is_file():
        print(
            f"weights file {args.weights} not found: train one first, e.g. `python experiments/det_neon_cpu.py` "
            "and copy its MLflow artifact adapter/best.pt there (nothing is downloaded)",
            file=sys.stderr,
        )
        return 2
    from geoarena.det.yolo_offline import ensure_offline

    ensure_offline()
    raster = build_raster(args.cache / f"yellowstone_mirror_{args.size}.tif", args.size)
    print(
        f"image {raster} ({args.size}x{args.size}), slices {args.slice}px overlap {args.overlap}, batch {args.batch}, conf {args.conf}, "
        f"threads {__import__('torch').get_num_threads()}"
    )
    # warm-up both paths on the same image (model load, first-call allocations)
    small = build_raster(args.cache / "yellowstone_mirror_1024.tif", 1024)
    run_sahi(small, args.weights, args, 1)
    import torch

    sahi_threads = torch.get_num_threads()  # what ultralytics' predictor set for SAHI
    from geoarena.det.slicer import available_cores

    our_threads = args.threads or available_cores()
    run_ours(small, args.weights, args)
    run_ours(small, args.weights, args, "torch")
    t_sahi, t_ours = [], []
    for _ in range(args.repeats):
        ref, dt = run_sahi(raster, args.weights, args, 1)
        t_sahi.append(dt)
        ours, dt = run_ours(raster, args.weights, args)
        t_ours.append(dt)
    ours_eq, t_eq = run_ours(raster, args.weights, args, threads=sahi_threads)
    ours_torch, t_torch = run_ours(raster, args.weights, args, "torch")
    _, t_sahi_b = run_sahi(raster, args.weights, args, args.batch)
    ap, ap50 = agreement(ref, ours)
    ap_eq, _ = agreement(ref, ours_eq)
    ap_t, _ = agreement(ref, ours_torch)
    ms, mo = statistics.median(t_sahi), statistics.median(t_ours)
    speedup = ms / mo
    print(
        f"SAHI get_sliced_prediction (batch_size=1, torch threads {sahi_threads}): {ms:.2f} s  "
        f"runs {[round(t, 2) for t in t_sahi]}, {len(ref['scores'])} detections"
    )
    print(
        f"SAHI get_sliced_prediction (batch_size={args.batch}): {t_sahi_b:.2f} s "
        f"(ours is {t_sahi_b / mo:.2f}x faster than it)"
    )
    print(
        f"ours SlicedDetector (onnxruntime, {our_threads} threads): {mo:.2f} s  "
        f"runs {[round(t, 2) for t in t_ours]}, {len(ours['scores'])} detections"
    )
    print(
        f"ours SlicedDetector (onnxruntime, {sahi_threads} thread(s) = SAHI's): {t_eq:.2f} s  "
        f"({ms / t_eq:.2f}x vs SAHI, equal threads), AP vs SAHI {ap_eq:.4f}"
    )
    print(
        f"ours SlicedDetector (torch backend, {our_threads} threads): {t_torch:.2f} s  "
        f"({ms / t_torch:.2f}x vs SAHI), {len(ours_torch['scores'])} detections, AP vs SAHI {ap_t:.4f}"
    )
    print(
        f"agreement: AP@[.5:.95] {ap:.4f}, AP50 {ap50:.4f} (ours scored against SAHI's detections)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    ok = speedup >= 2.0 and ap >= 0.99
    print(
        f"RESULT sliced_detection speedup={speedup:.2f} goal=2 ap_vs_sahi={ap:.4f} goal_ap=0.99 "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
