#!/usr/bin/env python
"""Predict with a trained GeoArena model from the MLflow store, for every modality.

    python tools/predict.py --model models:/NAME@ALIAS --input scene.tif --output classes.tif \\
        [--gpkg polygons.gpkg] [--probabilities probs.tif] [--window 64 --stride 48 --batch 16]
    python tools/predict.py --model runs:/RUN_ID/model --input article.txt --output places.geojson

``--model``: ``models:/NAME@ALIAS`` (a registered model, e.g. from
``run_benchmark.py --register NAME``), ``models:/NAME/VERSION`` or ``runs:/RUN_ID/model``; set
``--tracking-uri`` or ``$MLFLOW_TRACKING_URI`` to the store (default ``sqlite:///./mlflow.db``).
What the input and output are follows from the model's card:

* EO segmentation / classification: GeoTIFF/COG scene → class-map COG (streaming, in the scene's
  CRS) and optionally class polygons as a GeoPackage (``--gpkg``) and per-class probabilities;
* geoparsing: ``.txt`` (one document) or ``.jsonl`` (``text``, ``id``) → GeoJSON points;
* detection: image → detections GeoPackage; point clouds: LAS/LAZ → classified LAS — where the
  model's package exports such models (the card's ``loader`` says which predictor answers).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path

#: CLI options → keyword arguments of the predictor's ``predict_file`` (only those given)
OPTIONS = ("gpkg", "probabilities", "window", "stride", "batch", "blend", "tta", "scales", "device")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="models:/NAME@ALIAS or runs:/RUN_ID/model")
    ap.add_argument("--input", required=True, type=Path)
    ap.add_argument("--output", required=True, type=Path)
    ap.add_argument(
        "--tracking-uri", help="MLflow store (default $MLFLOW_TRACKING_URI or ./mlflow.db)"
    )
    ap.add_argument("--gpkg", type=Path, help="EO: class polygons (GeoPackage)")
    ap.add_argument("--vectorize", type=int, nargs="*", help="EO: classes to vectorise")
    ap.add_argument("--probabilities", type=Path, help="EO: per-class probability COG")
    ap.add_argument("--window", type=int, help="EO: window side (default: the model's chip)")
    ap.add_argument("--stride", type=int, help="EO: window step (default: 3/4 window)")
    ap.add_argument("--batch", type=int, help="windows/images per model call")
    ap.add_argument("--blend", choices=("gaussian", "cosine", "none"))
    ap.add_argument("--tta", action="store_true", default=None, help="EO: average D4 transforms")
    ap.add_argument("--scales", type=float, nargs="+", help="EO: input rescalings averaged")
    ap.add_argument("--device", help="cpu, cuda …")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    from geoarena.core.errors import GeoArenaError
    from geoarena.core.mlflow_tracker import default_tracking_uri
    from geoarena.serve.mlflow_model import load_predictor

    mlflow.set_tracking_uri(args.tracking_uri or default_tracking_uri())
    if not args.input.exists():
        print(f"error: {args.input}: input not found", file=sys.stderr)
        return 2
    kwargs = {k: getattr(args, k) for k in OPTIONS if getattr(args, k) is not None}
    if args.vectorize is not None:
        kwargs["vectorize"] = args.vectorize
    try:
        predictor, card = load_predictor(args.model)
        if not hasattr(predictor, "predict_file"):
            print(f"error: {args.model}: its predictor reads no files", file=sys.stderr)
            return 2
        unknown = sorted(set(kwargs) - set(inspect.signature(predictor.predict_file).parameters))
        if unknown:
            kind = card.get("task_kind")
            print(
                f"error: {args.model} ({kind} model) takes no --{', --'.join(unknown)}",
                file=sys.stderr,
            )
            return 2
        summary = predictor.predict_file(args.input, args.output, **kwargs)
    except GeoArenaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except mlflow.exceptions.MlflowException as exc:
        print(f"error: {args.model}: {exc.message}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {"model": args.model, "task": card.get("task"), **summary}, indent=2, default=str
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
