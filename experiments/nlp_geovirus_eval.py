"""GeoVirus geoparsing evaluation: every resolver with oracle NER and end to end.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_geovirus_eval.py [--split train|val|test|all]``
Runtime: ~15 s to 4 min on 2 CPU cores (spaCy over the documents dominates; more when the
gazetteer is built the first time).
Expected (test split, seed-0 document split): context resolver with oracle NER acc@161 ≈ 0.811,
polygon-aware ≈ 0.91; population-only baseline ≈ 0.76. Figures are recorded in
benchmarks/RESULTS.md. The learned ranker trains on the training split only.
"""

from __future__ import annotations

import argparse
import json

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_mentions, score_document, summarize
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.geoparser import GeoparserConfig, build_recognizer
from geoarena.nlp.recognition import load_spacy
from geoarena.nlp.resolution import LearnedRanker, make_resolver

KEYS = (
    "acc161",
    "acc161_ci_lo",
    "acc161_ci_hi",
    "acc161_polygon",
    "auc",
    "mean_km",
    "median_km",
    "rec_precision_exact",
    "rec_recall_exact",
    "rec_f1_exact",
    "rec_f1_overlap",
    "n",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="val", choices=("train", "val", "test", "all"))
    ap.add_argument(
        "--recognizers", default="spacy,combined", help="comma list, or 'none' for oracle NER only"
    )
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    gaz = Gazetteer.open()
    docs = read_geovirus(default_geovirus_path())
    splits = split_documents(docs, seed=0)
    eval_docs = docs if args.split == "all" else splits[args.split]
    resolvers = {name: make_resolver(name, gaz) for name in ("population", "context")}
    learned = LearnedRanker(gaz, seed=0)
    learned.fit(splits["train"])
    resolvers["learned"] = learned
    rows = {}
    for name, r in resolvers.items():
        scores = [
            score_document(d, r.resolve(d.text, oracle_mentions(d)), gaz, False) for d in eval_docs
        ]
        rows[f"oracle/{name}"] = summarize(scores)
    recognizers = [] if args.recognizers in ("", "none") else args.recognizers.split(",")
    nlp = load_spacy() if recognizers else None
    for rec_name in recognizers:
        rec = build_recognizer(GeoparserConfig(recognizer=rec_name), gaz, nlp=nlp)
        mentions = rec.recognize([d.text for d in eval_docs])
        for name, r in resolvers.items():
            scores = [
                score_document(d, r.resolve(d.text, ms) if ms else [], gaz, True)
                for d, ms in zip(eval_docs, mentions)
            ]
            rows[f"{rec_name}/{name}"] = summarize(scores)
    print(f"GeoVirus {args.split}: {len(eval_docs)} documents")
    print("setting".ljust(22) + "".join(k[:12].rjust(13) for k in KEYS))
    for k, s in rows.items():
        print(k.ljust(22) + "".join(f"{s[key]:13.3f}" for key in KEYS))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
