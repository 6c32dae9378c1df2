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

from geoarena.cli.checks import (
    ToolParser,
    atomic_output,
    bad_input,
    check_output_file,
    cli_entry,
    in_range,
    positive_int,
    unit_interval,
)
from geoarena.cli.raster_checks import check_raster


@cli_entry
def main(argv: list[str]) -> int:
    ap = ToolParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", required=True, type=Path, help="local ultralytics .pt file")
    ap.add_argument("--input", required=True, type=Path, help="GeoTIFF/COG with uint8 RGB bands")
    ap.add_argument("--output", required=True, type=Path, help="GeoPackage to write")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    ap.add_argument("--slice", type=in_range(int, 32, 8192), default=512, help="slice size (px)")
    ap.add_argument("--overlap", type=in_range(float, 0.0, 0.9), default=0.2, help="overlap ratio")
    ap.add_argument("--batch", type=in_range(int, 1, 1024), default=4, help="slices per pass")
    ap.add_argument("--conf", type=unit_interval, default=0.25, help="per-slice confidence")
    ap.add_argument("--iou", type=unit_interval, default=0.7, help="per-slice NMS IoU")
    ap.add_argument("--merge", choices=("nms", "greedy_nmm"), default="nms")
    ap.add_argument("--match-metric", choices=("iou", "ios"), default="iou")
    ap.add_argument("--match-threshold", type=unit_interval, default=0.5)
    ap.add_argument("--class-agnostic", action="store_true", help="merge across classes")
    ap.add_argument("--full-pass", action="store_true", help="add a whole-image pass")
    ap.add_argument(
        "--bands", type=positive_int, nargs=3, default=[1, 2, 3], help="1-based R G B bands"
    )
    ap.add_argument(
        "--backend",
        choices=("torch", "onnxruntime"),
        help="default: onnxruntime on the CPU, torch on a GPU (onnxruntime runs on the CPU here)",
    )
    ap.add_argument("--device", type=device_name, default="cpu", help="cpu, cuda, cuda:N or auto")
    ap.add_argument("--to-wgs84", action="store_true", help="reproject polygons to EPSG:4326")
    args = ap.parse_args(argv)
    args.device, args.backend = device_and_backend(args.device, args.backend)

    # every input is checked before the model loads (the checkpoint without unpickling it)
    from geoarena.det.safe_load import check_checkpoint

    if not args.weights.exists():
        raise bad_input(
            "--weights",
            "no such file; pass a local ultralytics checkpoint (e.g. adapter/best.pt of a det/* "
            "run in MLflow) — nothing is downloaded",
            args.weights,
        )
    check_checkpoint(args.weights, "--weights")
    info = check_raster(args.input, "--input", bands=args.bands, offer_allow_no_crs=False)
    if info.dtype != "uint8":  # the network was trained on 8-bit RGB
        raise bad_input(
            "--input",
            f"{info.dtype} bands; detection reads uint8 RGB (rescale to 0-255)",
            args.input,
        )
    check_output_file(args.output, "--output", overwrite=args.overwrite)

    from geoarena.det.georef import write_detections_gpkg
    from geoarena.det.slicer import SliceConfig, SlicedDetector

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
    with atomic_output(args.output) as partial:  # no half-written GeoPackage on failure
        gdf = write_detections_gpkg(
            out,
            args.input,
            partial,
            class_names=names,
            box_type="obb" if det.obb else "hbb",
            to_wgs84=args.to_wgs84,
        )
    print(f"{len(gdf)} detections in {dt:.1f} s → {args.output} (CRS {gdf.crs.to_string()})")
    return 0


def device_name(text: str) -> str:
    """An argparse ``type=``: ``cpu``, ``auto``, ``cuda`` or ``cuda:N`` (a torch device)."""
    kind, _, index = text.partition(":")
    if (kind in ("cpu", "auto") and not index) or (
        kind == "cuda" and (not index or index.isdigit())
    ):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not cpu, cuda, cuda:N or auto")


def device_and_backend(device: str, backend: str | None) -> tuple[str, str]:
    """The torch device (``auto`` resolved) and the backend for it: onnxruntime runs on the CPU
    only, so a GPU runs the torch backend; a CUDA device this machine lacks is refused."""
    from geoarena.core.errors import ConfigError
    from geoarena.core.seeding import resolve_device

    device = resolve_device(device)
    if device == "cpu":
        return device, backend or "onnxruntime"
    if backend == "onnxruntime":
        raise ConfigError(
            f"--backend onnxruntime runs on the CPU; use --backend torch with --device {device}"
        )
    import torch

    count = torch.cuda.device_count()
    if int(device.partition(":")[2] or 0) >= count:
        raise ConfigError(f"--device {device}: {count} CUDA device(s) visible")
    return device, "torch"


if __name__ == "__main__":
    sys.exit(main())
