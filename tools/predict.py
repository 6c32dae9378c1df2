"""Predict a whole GeoTIFF/COG scene with a segmentation model, streaming (flat memory).

    python tools/predict.py --model model.ts --card card.json --input scene.tif --output classes.tif \\
        [--probabilities probs.tif] [--gpkg polygons.gpkg --vectorize-classes 1] \\
        [--window 256 --stride 192 --batch 16 --blend gaussian --tta --scales 1.0 0.5]

``--model``: a TorchScript module (``torch.jit.save``) mapping ``(B, C, h, w)`` normalised input to
``(B, K, h, w)`` logits. ``--card``: JSON with ``mean``, ``std`` (per band, in the raster's units),
``num_classes`` and optionally ``class_names``, ``bands`` (1-based indexes to read),
``input_unit``. Writes a tiled, DEFLATE-compressed COG with the input's CRS/transform, optionally
per-class probabilities (uint8, 0–255) and a GeoPackage of class polygons in the same CRS.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, type=Path, help="TorchScript segmentation model")
    ap.add_argument("--card", type=Path, help="JSON: mean, std, num_classes, class_names, bands")
    ap.add_argument("--input", required=True, type=Path)
    ap.add_argument("--output", required=True, type=Path, help="class-map COG")
    ap.add_argument("--probabilities", type=Path, help="optional per-class probability COG")
    ap.add_argument("--gpkg", type=Path, help="optional GeoPackage of class polygons")
    ap.add_argument(
        "--vectorize-classes", type=int, nargs="*", help="classes to vectorise (default: all but 0)"
    )
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--stride", type=int, default=192)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--blend", choices=("gaussian", "cosine", "none"), default="gaussian")
    ap.add_argument("--tta", action="store_true", help="average the 8 D4 transforms")
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0])
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)

    import torch

    from geoarena.core.errors import DataError
    from geoarena.eo.inference import PredictConfig, predict_scene, vectorize_classes

    if not args.model.exists():
        print(
            f"error: model file {args.model} not found (save one with torch.jit.save)",
            file=sys.stderr,
        )
        return 2
    card = json.loads(args.card.read_text()) if args.card else {}
    model = torch.jit.load(str(args.model), map_location=args.device).eval()
    cfg = PredictConfig(
        window=args.window,
        stride=args.stride,
        batch_size=args.batch,
        blend=args.blend,
        tta=args.tta,
        scales=tuple(args.scales),
        mean=card.get("mean", ()),
        std=card.get("std", ()),
        bands=card.get("bands"),
        num_classes=int(card.get("num_classes", 2)),
        device=args.device,
    )
    try:
        summary = predict_scene(model, args.input, args.output, cfg, prob_path=args.probabilities)
        if args.gpkg:
            keep = (
                args.vectorize_classes
                if args.vectorize_classes is not None
                else list(range(1, cfg.num_classes))
            )
            summary["polygons"] = vectorize_classes(
                args.output, args.gpkg, keep, card.get("class_names")
            )
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
