"""Sliced detection on a large raster: our batched window-by-window slicer vs SAHI.

    .venv/bin/python benchmarks/sliced_detection.py [--rounds 5]

Same model, same 4096² image, same slices (512 px, 0.2 overlap), same per-slice thresholds and
the same merge (NMS, IOU >= 0.5, per class), every side at the same thread count (pinned per
side by benchmarks/_harness.py), interleaved for ``--rounds`` rounds:

* SAHI 0.12.8 ``get_sliced_prediction`` with its ultralytics model, ``batch_size=1`` (its
  default) and ``batch_size=--batch`` (its batched path) at N threads, and ``batch_size=1`` at
  1 thread (ultralytics' own default of cores − 1 on a 2-core machine), given the image array
  read by rasterio inside the timed region; SAHI's best is the fastest of them by median;
* ours: ``geoarena.det.slicer.SlicedDetector.predict_raster`` (ONNX Runtime, batches of
  ``--batch``) reading windows from the GeoTIFF;
* the floor: a bare ONNX Runtime loop over the same slices (same exported network, same batches,
  windows read by rasterio, no NMS and no merge) — what any sliced pipeline must spend; run two
  ways (one session with N intra-op threads; N single-thread runs in flight) and the faster
  one's median is the floor.

Our own best configuration (a second RESULT line) is the fastest of ours with N threads, ours with
1 thread and ours with the torch backend (the fused network in torch, batches of ``--batch``).

The model: ``--weights`` (a local ultralytics .pt) or, by default, a YOLOv8n trained here on the
real NEON tree-crown chips (``det/neon-trees``) for ``--train-epochs`` epochs with seed 0 on
first use, cached under ``--cache`` (nothing is downloaded; a fresh clone needs ``make samples``).

The image: the real NEON Yellowstone crop (2299 × 2472 px, 10 cm RGB, deepforest wheel),
mirror-tiled to 4096 × 4096 and written as a tiled GeoTIFF (EPSG:32612) in the cache.

Agreement: our detections against SAHI's (batch 1) as ground truth — COCO AP@[.5:.95] and the
share of SAHI's detections matched one-to-one by ours (same class, IoU >= 0.99). Goal: >= 2x
SAHI's best at equal threads, with AP >= 0.99 and >= 99 % matched. Last line:
``RESULT sliced_detection speedup=… ci95=[…] threads=… goal=2 PASS|FAIL``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Bench, Side, interleave, resolve_threads, standard_args
from _sliced_detection_inputs import build_raster, train_weights


def sahi_side(raster: Path, weights: Path, args: argparse.Namespace, batch_size: int):
    """A ``run()`` for the harness: SAHI's sliced prediction of the whole raster."""
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
    last: dict = {}

    def run() -> dict:
        with rasterio.open(raster) as ds:
            image = ds.read([1, 2, 3]).transpose(1, 2, 0)
        res = get_sliced_prediction(
            image,
            model,
            slice_height=args.slice,
            slice_width=args.slice,
            overlap_height_ratio=args.overlap,
            overlap_width_ratio=args.overlap,
            perform_standard_pred=False,
            postprocess_type="NMS",
            postprocess_match_metric="IOU",
            postprocess_match_threshold=0.5,
            postprocess_class_agnostic=False,
            verbose=0,
            batch_size=batch_size,
            force_postprocess_type=True,
        )
        ops = res.object_prediction_list
        last["det"] = {
            "boxes": np.array([o.bbox.to_xyxy() for o in ops], dtype=np.float64).reshape(-1, 4),
            "scores": np.array([o.score.value for o in ops], dtype=np.float64),
            "labels": np.array([o.category.id for o in ops], dtype=np.int64),
        }
        import torch

        # ultralytics sets torch's threads when its predictor starts: record what SAHI ran with
        return {"detections": len(ops), "torch_threads": torch.get_num_threads()}

    return run, last


def ours_side(
    raster: Path,
    weights: Path,
    args: argparse.Namespace,
    threads: int,
    backend: str = "onnxruntime",
):
    from geoarena.det.slicer import SliceConfig, SlicedDetector

    cfg = SliceConfig(
        slice_height=args.slice,
        slice_width=args.slice,
        overlap_height_ratio=args.overlap,
        overlap_width_ratio=args.overlap,
        batch_size=args.batch,
        full_image_pass=False,
        merge="nms",
        match_metric="iou",
        match_threshold=0.5,
        conf=args.conf,
        backend=backend,
        cache_dir=str(args.cache / "onnx"),
        threads=threads,
    )
    det = SlicedDetector(weights, cfg)
    last: dict = {}

    def run() -> dict:
        last["det"] = det.predict_raster(raster)
        return {"detections": len(last["det"]["scores"])}

    return run, last, det


def floor_side(
    raster: Path, weights: Path, det, args: argparse.Namespace, threads: int, parallel: bool
):
    """Bare ONNX Runtime over the same slices and batches: read, stack, run; nothing else."""
    import hashlib

    import onnxruntime as ort
    import rasterio
    from rasterio.windows import Window

    from geoarena.det.slicer import slice_windows

    key = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]  # the slicer's export, reused
    onnx_path = args.cache / "onnx" / f"{key}_{det.imgsz}.onnx"
    from concurrent.futures import ThreadPoolExecutor

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1 if parallel else threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

    def run() -> dict:
        with rasterio.open(raster) as ds, ThreadPoolExecutor(threads if parallel else 1) as pool:
            wins = slice_windows(
                ds.height, ds.width, args.slice, args.slice, args.overlap, args.overlap
            )
            futures = []
            for i in range(0, len(wins), args.batch):
                batch = [
                    ds.read([1, 2, 3], window=Window(x0, y0, x1 - x0, y1 - y0))
                    for x0, y0, x1, y1 in wins[i : i + args.batch]
                ]
                x = np.stack(batch).astype(np.float32) / 255
                futures.append(pool.submit(session.run, None, {"images": x}))
            for f in futures:
                f.result()
        return {"slices": len(wins)}

    return run


def matched_share(reference: dict, ours: dict, iou: float = 0.99) -> float:
    """Share of ``reference`` detections with a same-class detection of ``ours`` at IoU >= iou
    (greedy one-to-one by score)."""
    n = len(reference["scores"])
    if n == 0:
        return float(len(ours["scores"]) == 0)
    a, b = reference["boxes"][:, None, :], ours["boxes"][None, :, :]
    inter = np.clip(
        np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2]), 0, None
    )
    inter = inter.prod(-1)
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    ious = inter / np.maximum(area(a) + area(b) - inter, 1e-12)
    ious[reference["labels"][:, None] != ours["labels"][None, :]] = 0
    used = np.zeros(ious.shape[1], bool)
    hits = 0
    for i in np.argsort(-reference["scores"]):
        cand = np.where(~used & (ious[i] >= iou))[0]
        if len(cand):
            used[cand[np.argmax(ious[i, cand])]] = True
            hits += 1
    return hits / n


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
        default=None,
        help="local ultralytics detection weights (.pt); default: train one here (see above)",
    )
    p.add_argument("--train-epochs", type=int, default=20)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--slice", type=int, default=512)
    p.add_argument("--overlap", type=float, default=0.2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument(
        "--conf", type=float, default=0.1, help="low: the briefly trained model is unsure"
    )
    p.add_argument("--cache", type=Path, default=Path(".cache/geoarena/det_bench"))
    standard_args(p, rounds=5)
    args = p.parse_args()
    if args.weights is not None and not args.weights.is_file():
        print(f"{args.weights}: weights file not found (a local ultralytics .pt)", file=sys.stderr)
        return 2
    from geoarena.det.yolo_offline import ensure_offline

    ensure_offline()
    threads = resolve_threads(args.threads)
    weights = args.weights or train_weights(args.cache, args.train_epochs, seed=0)
    raster = build_raster(args.cache / f"yellowstone_mirror_{args.size}.tif", args.size)
    bench = Bench("sliced_detection", ["sahi", "ultralytics", "onnxruntime", "torch", "rasterio"])
    print(
        f"image {raster} ({args.size}x{args.size}), slices {args.slice}px overlap {args.overlap}, "
        f"batch {args.batch}, conf {args.conf}, weights {weights}"
    )
    sahi1_run, sahi1 = sahi_side(raster, weights, args, 1)
    sahib_run, sahib = sahi_side(raster, weights, args, args.batch)
    ours_run, ours, det = ours_side(raster, weights, args, threads)
    sides = [
        Side("SAHI batch_size=1", sahi1_run, threads, "its default"),
        Side(f"SAHI batch_size={args.batch}", sahib_run, threads, "its batched path"),
        Side(f"ours batch {args.batch}", ours_run, threads, "ONNX Runtime, batches in parallel"),
        Side(
            "floor: bare ORT, N intra-op",
            floor_side(raster, weights, det, args, threads, parallel=False),
            threads,
            "no NMS/merge",
        ),
        Side(
            "floor: bare ORT, N in flight",
            floor_side(raster, weights, det, args, threads, parallel=True),
            threads,
            "no NMS/merge",
        ),
    ]
    floors = sides[3:5]
    if threads > 1:  # ultralytics' own default on this machine is cores - 1 torch threads
        sahi1t_run, _ = sahi_side(raster, weights, args, 1)
        sahi_sides = [*sides[:2], Side("SAHI batch_size=1 1 thread", sahi1t_run, 1, "shipped")]
        sides.append(sahi_sides[-1])
    else:
        sahi_sides = sides[:2]
    torch_run, ours_torch, _ = ours_side(raster, weights, args, threads, backend="torch")
    ours_best = [sides[2], Side(f"ours torch backend batch {args.batch}", torch_run, threads)]
    if threads > 1:  # our best may differ from equal resources only in its thread layout
        o1_run, _, _ = ours_side(raster, weights, args, 1)
        ours_best.append(Side(f"ours batch {args.batch} 1 thread", o1_run, 1))
    sides += ours_best[1:]
    # no warm-up round (minutes under load): models load and sessions open as the sides are made
    interleave(sides, args.rounds, warmup=0)
    bench.summary(sides)
    ref = sahi1["det"]
    ap, ap50 = agreement(ref, ours["det"])
    share = matched_share(ref, ours["det"])
    share_b = matched_share(ref, sahib["det"])
    print(
        f"detections: SAHI {len(ref['scores'])} (batched SAHI {len(sahib['det']['scores'])}, "
        f"{100 * share_b:.1f} % of batch 1's matched), ours {len(ours['det']['scores'])}; "
        f"ours vs SAHI: AP@[.5:.95] {ap:.4f}, AP50 {ap50:.4f}, matched (IoU>=0.99) {100 * share:.2f} %"
    )
    print(
        f"ours torch backend vs SAHI: matched {100 * matched_share(ref, ours_torch['det']):.2f} %"
    )
    same = ap >= 0.99 and share >= 0.99 and len(ref["scores"]) > 0
    best = min(sahi_sides, key=lambda s: s.median())
    print(f"SAHI's fastest configuration: {best.name}")
    floor = min(floors, key=lambda s: s.median())
    bench.result(
        "ratio",
        floor.seconds(),
        sides[2].seconds(),
        0.0,
        f"ours:{threads},floor:{threads}({floor.name})",
        name="sliced_detection_vs_floor",
        extra="(floor seconds / ours: the share of our time that is bare inference)",
    )
    top = min(ours_best, key=lambda s: s.median())
    bench.result(
        "speedup",
        best.seconds(),
        top.seconds(),
        2.0,
        f"ours:{top.threads}({top.name}),sahi:{best.threads}({best.name})",
        name="sliced_detection_ours_best",
    )
    bench.done()
    bench.result(
        "speedup",
        best.seconds(),
        sides[2].seconds(),
        2.0,
        f"ours:{threads},sahi:{best.threads}({best.name})",
        extra_ok=same,
        extra=f"ap_vs_sahi={ap:.4f} matched={share:.4f}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
