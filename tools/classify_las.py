"""Classify a LAS/LAZ file with a model trained on a labelled LAS/LAZ file.

    python tools/classify_las.py INPUT.laz OUTPUT.laz --train LABELLED.laz \
        --class-map ign-ground-vegetation-bridge --model random-forest --tile-m 50

The output holds every input point with its header (scales, offsets, CRS) and the predicted
ASPRS classification. Inference runs tile by tile with an overlapping halo, so memory is bounded
by the tile size.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from geoarena.core.config import TrainConfig
    from geoarena.core.errors import GeoArenaError
    from geoarena.pc.asprs import CLASS_MAPS
    from geoarena.pc.classify import TilingConfig, adapter_predictor, classify_las
    from geoarena.pc.pipeline import MODEL_FACTORIES, fit_on_las

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument(
        "--train", type=Path, required=True, help="labelled LAS/LAZ to fit the model on"
    )
    ap.add_argument(
        "--class-map", default="asprs-ground-vegetation-building", choices=sorted(CLASS_MAPS)
    )
    ap.add_argument("--model", default="random-forest", choices=sorted(MODEL_FACTORIES))
    ap.add_argument("--epochs", type=int, default=10, help="network epochs (ignored by the forest)")
    ap.add_argument("--tile-m", type=float, default=50.0)
    ap.add_argument("--halo-m", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        adapter, _ = fit_on_las(
            args.train,
            CLASS_MAPS[args.class_map],
            args.model,
            TrainConfig(epochs=args.epochs, batch_size=4, lr=0.01),
            seed=args.seed,
        )
        stats = classify_las(
            args.input,
            args.output,
            adapter_predictor(adapter),
            CLASS_MAPS[args.class_map],
            TilingConfig(args.tile_m, args.halo_m),
        )
    except GeoArenaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stats.pop("predictions")
    print(json.dumps({"output": str(args.output), **stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
