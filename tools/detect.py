"""Detect objects in a geo-referenced raster of any size and write them as map features.

    python tools/detect.py --weights best.pt --input scene.tif --output trees.gpkg \\
        [--slice 512 --overlap 0.2 --batch 8 --conf 0.25 --merge nms --match-metric iou \\
         --match-threshold 0.5 --full-pass --backend onnxruntime --to-wgs84]

``--weights``: a local ultralytics detection or oriented-box (``-obb``) checkpoint, e.g. the
``adapter/best.pt`` artifact of a ``det/*`` benchmark run (nothing is downloaded). The raster is
read window by window (a 50k × 50k GeoTIFF never has to fit in memory), slices are batched through
the network and merged across slices (SAHI's rules). Writes a GeoPackage layer ``detections``
with ``label``, ``class_id``, ``score`` and the box polygon in the raster's CRS (or EPSG:4326 with
``--to-wgs84``); oriented boxes become rotated rectangles.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", required=True, type=Path, help="local ultralytics .pt file")
    ap.add_argument("--input", required=True, type=Path, help="GeoTIFF/COG with uint8 RGB bands")
    ap.add_argument("--output", required=True, type=Path, help="GeoPackage to write")
    ap.add_argument("--slice", type=int, default=512, help="slice size in pixels")
    ap.add_argument("--overlap", type=float, default=0.2, help="overlap ratio between slices")
    ap.add_argument("--batch", type=int, default=4, help="slices per forward pass")
    ap.add_argument("--conf", type=float, default=0.25, help="per-slice confidence threshold")
    ap.add_argument("--iou", type=float, default=0.7, help="per-slice NMS IoU")
    ap.add_argument("--merge", choices=("nms", "greedy_nmm"), default="nms")
    ap.add_argument("--match-metric", choices=("iou", "ios"), default="iou")
    ap.add_argument("--match-threshold", type=float, default=0.5)
    ap.add_argument("--class-agnostic", action="store_true", help="merge across classes")
    ap.add_argument("--full-pass", action="store_true", help="add a whole-image pass")
    ap.add_argument("--bands", type=int, nargs=3, default=[1, 2, 3], help="1-based R G B bands")
    ap.add_argument("--backend", choices=("torch", "onnxruntime"), default="onnxruntime")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--to-wgs84", action="store_true", help="reproject polygons to EPSG:4326")
    args = ap.parse_args(argv)

    from geoarena.core.errors import GeoArenaError

    if not args.weights.is_file():
        print(
            f"error: weights file {args.weights} not found; pass a local ultralytics checkpoint "
            "(e.g. adapter/best.pt from a det/* run in MLflow) — nothing is downloaded",
            file=sys.stderr,
        )
        return 2
    if not args.input.is_file():
        print(f"error: {args.input}: no such raster", file=sys.stderr)
        return 2
    try:
        from geoarena.det.georef import raster_georef, write_detections_gpkg
        from geoarena.det.slicer import SliceConfig, SlicedDetector

        raster_georef(args.input)  # fail before the model loads when the raster has no CRS
        cfg = SliceConfig(
            slice_height=args.slice,
            slice_width=args.slice,
            overlap_height_ratio=args.overlap,
            overlap_width_ratio=args.overlap,
            batch_size=args.batch,
            full_image_pass=args.full_pass,
            merge=args.merge,
            match_metric=args.match_metric,
            match_threshold=args.match_threshold,
            class_agnostic=args.class_agnostic,
            conf=args.conf,
            iou=args.iou,
            bands=tuple(args.bands),
            backend=args.backend,
        )
        det = SlicedDetector(args.weights, cfg, device=args.device)
        t0 = time.perf_counter()
        out = det.predict_raster(args.input)
        dt = time.perf_counter() - t0
        names = [det.yolo.names[k] for k in sorted(det.yolo.names)]
        gdf = write_detections_gpkg(
            out,
            args.input,
            args.output,
            class_names=names,
            box_type="obb" if det.obb else "hbb",
            to_wgs84=args.to_wgs84,
        )
    except GeoArenaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(gdf)} detections in {dt:.1f} s → {args.output} (CRS {gdf.crs.to_string()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
