"""Classify a LAS/LAZ file with a model trained on a labelled LAS/LAZ file.

    python tools/classify_las.py INPUT.laz OUTPUT.laz --train LABELLED.laz \
        --class-map ign-ground-vegetation-bridge --model random-forest --tile-m 50

The output holds every input point with its header (scales, offsets, CRS) and the predicted
ASPRS classification. Inference runs tile by tile with an overlapping halo, so memory is bounded
by the tile size.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from geoarena.cli.checks import cli_entry


@cli_entry
def main(argv: list[str]) -> int:
    from geoarena.cli.checks import (
        ToolParser,
        atomic_output,
        bad_input,
        check_output_file,
        in_range,
        nonneg_int,
        positive_int,
    )
    from geoarena.core.config import TrainConfig
    from geoarena.pc.asprs import CLASS_MAPS
    from geoarena.pc.checks import check_las
    from geoarena.pc.classify import TilingConfig, adapter_predictor, classify_las
    from geoarena.pc.pipeline import MODEL_FACTORIES, fit_on_las

    ap = ToolParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument(
        "--train", type=Path, required=True, help="labelled LAS/LAZ to fit the model on"
    )
    ap.add_argument(
        "--class-map", default="asprs-ground-vegetation-building", choices=sorted(CLASS_MAPS)
    )
    ap.add_argument("--model", default="random-forest", choices=sorted(MODEL_FACTORIES))
    ap.add_argument(
        "--epochs", type=positive_int, default=10, help="network epochs (ignored by the forest)"
    )
    ap.add_argument("--tile-m", type=in_range(float, 1.0, 1e5), default=50.0)
    ap.add_argument("--halo-m", type=in_range(float, 0.0, 1e4), default=8.0)
    ap.add_argument("--seed", type=nonneg_int, default=0)
    ap.add_argument("--overwrite", action="store_true", help="replace an existing OUTPUT")
    args = ap.parse_args(argv)
    # headers, point counts and the output are checked before the model trains
    check_las(args.input, "input", need_crs=False)
    check_las(args.train, "--train", require=("classification",))
    if args.output.suffix.lower() not in (".las", ".laz"):
        raise bad_input("output", "must end in .las or .laz", args.output)
    if args.output.resolve() in (args.input.resolve(), args.train.resolve()):
        raise bad_input("output", "is one of the inputs", args.output)
    check_output_file(args.output, "output", overwrite=args.overwrite)
    adapter, _ = fit_on_las(
        args.train,
        CLASS_MAPS[args.class_map],
        args.model,
        TrainConfig(epochs=args.epochs, batch_size=4, lr=0.01),
        seed=args.seed,
    )
    with atomic_output(args.output) as partial:  # no half-written LAS if anything fails
        stats = classify_las(
            args.input,
            partial,
            adapter_predictor(adapter),
            CLASS_MAPS[args.class_map],
            TilingConfig(args.tile_m, args.halo_m),
        )
    stats.pop("predictions")
    print(json.dumps({"output": str(args.output), **stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
