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
* detection (YOLO): GeoTIFF image → detections GeoPackage (sliced, SAHI-style merging);
* point clouds: LAS/LAZ → classified LAS (tiled, header and CRS kept).

The card's ``loader`` names the predictor of the model's package; options it does not take are
refused.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path

from geoarena.cli.checks import (
    ToolParser,
    check_input_file,
    check_output_file,
    check_url,
    cli_entry,
    fail,
    in_range,
    url_from,
    with_url_timeouts,
)
from geoarena.cli.raster_checks import check_raster
from geoarena.core.errors import ConfigError

#: CLI options → keyword arguments of the predictor's ``predict_file`` (only those given)
OPTIONS = (
    *("gpkg", "probabilities", "window", "stride", "batch", "blend", "tta", "scales", "device"),
    *("slice", "overlap", "conf", "tile_m", "halo_m"),
)


def build_parser() -> argparse.ArgumentParser:
    ap = ToolParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="models:/NAME@ALIAS or runs:/RUN_ID/model")
    ap.add_argument("--input", required=True, type=Path)
    ap.add_argument("--output", required=True, type=Path)
    ap.add_argument(
        "--tracking-uri", help="MLflow store (default $MLFLOW_TRACKING_URI or ./mlflow.db)"
    )
    ap.add_argument("--gpkg", type=Path, help="EO: class polygons (GeoPackage)")
    ap.add_argument(
        "--vectorize", type=in_range(int, 0, 65535), nargs="*", help="EO: classes to vectorise"
    )
    ap.add_argument("--probabilities", type=Path, help="EO: per-class probability COG")
    ap.add_argument(
        "--window", type=in_range(int, 8, 8192), help="EO: window side (default: the model's chip)"
    )
    ap.add_argument(
        "--stride", type=in_range(int, 1, 8192), help="EO: window step (default: 3/4 window)"
    )
    ap.add_argument("--batch", type=in_range(int, 1, 4096), help="windows/images per model call")
    ap.add_argument("--blend", choices=("gaussian", "cosine", "none"))
    ap.add_argument("--tta", action="store_true", default=None, help="EO: average D4 transforms")
    ap.add_argument(
        "--scales", type=in_range(float, 0.1, 4.0), nargs="+", help="EO: input rescalings averaged"
    )
    ap.add_argument("--device", type=device_name, help="cpu, cuda, cuda:N, mps or auto")
    ap.add_argument("--slice", type=in_range(int, 32, 8192), help="detection: slice size (px)")
    ap.add_argument(
        "--overlap", type=in_range(float, 0.0, 0.9), help="detection: slice overlap ratio"
    )
    ap.add_argument(
        "--conf", type=in_range(float, 0.0, 1.0), help="detection: confidence threshold"
    )
    ap.add_argument(
        "--tile-m", type=in_range(float, 1.0, 10000.0), help="point clouds: tile side (m)"
    )
    ap.add_argument(
        "--halo-m", type=in_range(float, 0.0, 1000.0), help="point clouds: tile context margin (m)"
    )
    ap.add_argument("--overwrite", action="store_true", help="replace existing output files")
    ap.add_argument(
        "--allow-no-crs", action="store_true", help="EO: accept a raster without CRS/transform"
    )
    return ap


def device_name(text: str) -> str:
    """An argparse ``type=``: a torch device string (``cuda:N`` with a non-negative ``N``)."""
    kind, _, index = text.partition(":")
    plain = kind in ("cpu", "auto", "mps") and not index
    if plain or (kind == "cuda" and (not index or index.isdigit())):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not cpu, cuda, cuda:N, mps or auto")


def check_flags(args: argparse.Namespace) -> None:
    """Flags whose valid range depends on another flag or on the machine (one line, exit 2)."""
    if args.window is not None and args.stride is not None and args.stride > args.window:
        raise ConfigError(
            f"--stride {args.stride} is larger than --window {args.window}: "
            "the windows would leave pixels unpredicted"
        )
    if args.device == "auto":  # the predictors hand the device to torch, which has no "auto"
        from geoarena.core.seeding import resolve_device

        args.device = resolve_device("auto")
    if args.device and args.device.startswith("cuda"):
        import torch

        count = torch.cuda.device_count()
        index = int(args.device.partition(":")[2] or 0)
        if index >= count:
            raise ConfigError(f"--device {args.device}: {count} CUDA device(s) visible")


def check_vectorize(args: argparse.Namespace, card: dict) -> None:
    """``--vectorize`` names classes of the model (known once its card is read)."""
    n = int(card.get("num_classes") or 0)
    wrong = [c for c in args.vectorize or () if n and c >= n]
    if wrong:
        raise ConfigError(
            f"--vectorize {' '.join(map(str, wrong))}: the model has classes 0-{n - 1}"
        )


def check_inputs(args: argparse.Namespace) -> None:
    """Everything on the command line, before the model is fetched: the model URI's shape, the
    tracking store (reached within the connect timeout), the input (rasters opened: CRS, not
    truncated; LAS/LAZ headers), and outputs (writable, not overwritten unless --overwrite)."""
    if (
        not args.model.startswith(("models:/", "runs:/"))
        and not (Path(args.model) / "MLmodel").is_file()
    ):
        raise ConfigError(
            f"--model {args.model}: expected models:/NAME@ALIAS, models:/NAME/VERSION, "
            "runs:/RUN_ID/model or a saved MLflow model folder"
        )
    if args.tracking_uri:
        check_url(args.tracking_uri, "--tracking-uri")
    suffix = args.input.suffix.lower()
    if suffix in (".tif", ".tiff", ".vrt", ".jp2"):
        check_raster(args.input, "--input", allow_no_crs=args.allow_no_crs)
    elif suffix in (".las", ".laz"):
        from geoarena.pc.checks import check_las

        check_las(args.input, "--input")
    else:
        check_input_file(args.input, "--input")
    outputs = [(args.output, "--output"), (args.gpkg, "--gpkg")]
    outputs.append((args.probabilities, "--probabilities"))
    for path, what in outputs:
        if path is not None:
            check_output_file(path, what, overwrite=args.overwrite)


@cli_entry
def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with_url_timeouts()
    args.tracking_uri = url_from(args.tracking_uri, "MLFLOW_TRACKING_URI", "--tracking-uri")
    check_flags(args)
    check_inputs(args)
    import mlflow

    from geoarena.core.errors import GeoArenaError
    from geoarena.serve.mlflow_model import load_predictor
    from geoarena.store.mlflow_tracker import default_tracking_uri

    mlflow.set_tracking_uri(args.tracking_uri or default_tracking_uri())
    kwargs = {k: getattr(args, k) for k in OPTIONS if getattr(args, k) is not None}
    if args.vectorize is not None:
        kwargs["vectorize"] = args.vectorize
    try:
        predictor, card = load_predictor(args.model)
        check_vectorize(args, card)
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
        return fail(str(exc))
    except mlflow.exceptions.MlflowException as exc:
        return fail(f"{args.model}: {exc.message}")
    print(
        json.dumps(
            {"model": args.model, "task": card.get("task"), **summary}, indent=2, default=str
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
