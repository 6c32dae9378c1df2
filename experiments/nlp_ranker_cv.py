"""Document-level cross-validation of the learned ranker (LightGBM lambdarank over the resolver
features, focus features included) against the context resolver and the population baseline.

Folds split *documents* (never toponyms of one document across folds). Only GeoVirus' training
and validation documents are used (160): the test split stays out. Every corpus reader gives
documents of one source; pass more sources with ``--extra FORMAT:PATH`` (e.g. ``lgl:lgl.xml``)
and their documents join the folds (each fold then mixes sources), with each corpus's point
convention deciding which candidates count as relevant. ``--extra conll-silver:train.txt``
adds CoNLL-2003 training documents with silver points (:mod:`geoarena.nlp.silver`: names
qualified by their area, the qualifier masked); gold spans without coordinates are context
for the resolvers, never scored or trained on.

Prints pooled out-of-fold acc@161 with a 95 % bootstrap CI over documents for each resolver,
and a paired bootstrap CI of ranker − context. With more than one source it also prints the
out-of-fold figures per source and a leave-one-source-out run (the ranker trained on every other
source, scored on the one left out: how it holds on news it was not trained on). Folds are
drawn per source, so GeoVirus' documents fall in the same folds with or without ``--extra``;
with ``--extra`` every fold also trains a ranker on its GeoVirus documents only, and the
paired CI of learned − that ranker says what the extra sources bring on the same documents.
``--publication-places JSON`` gives documents their publication place (by id or outlet, see
``tools/geoparse.py --eval``), used by every resolver and as a ranker feature.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_ranker_cv.py``
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from geoarena.nlp.conventions import corpus_id_points
from geoarena.nlp.corpora import (
    default_geovirus_path,
    read_corpus,
    read_geovirus,
    split_documents,
)
from geoarena.nlp.corpus_eval import read_publication_places, with_publication_places
from geoarena.nlp.evaluation import score_document, summarize
from geoarena.nlp.focus import publication_anchor
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.geo_metrics import ACC_KM
from geoarena.nlp.recognition import Mention
from geoarena.nlp.resolution import ContextResolver, LearnedRanker, PopulationResolver

#: the ranker trained on the fold's GeoVirus documents only (beside one trained with --extra)
GEOVIRUS_ONLY = "learned, geovirus only"


def paired_diff_ci(a, b, n_boot=2000, seed=0):
    """acc@161(a) − acc@161(b) over the same documents, bootstrap over documents."""
    hits_a = [np.asarray(s.errors_km) <= ACC_KM for s in a]
    hits_b = [np.asarray(s.errors_km) <= ACC_KM for s in b]
    n = len(a)
    rng = np.random.default_rng(seed)

    def diff(idx):
        ha = np.concatenate([hits_a[i] for i in idx])
        hb = np.concatenate([hits_b[i] for i in idx])
        return ha.mean() - hb.mean()

    boot = [diff(rng.integers(0, n, n)) for _ in range(n_boot)]
    return diff(range(n)), *np.quantile(boot, [0.025, 0.975])


def gold_mentions(doc) -> list[Mention]:
    """Every gold span as a mention: those without coordinates (the unlabelled spans of a
    silver document) are context, as in training, and not scored; the same as
    :func:`~geoarena.nlp.evaluation.oracle_mentions` on a fully geotagged corpus."""
    return [Mention(t.start, t.end, t.name, "GOLD", "gold") for t in doc.toponyms]


def score_held(gaz, ranker, held, id_points, others=None) -> dict[str, list]:
    """Per resolver, the document scores of ``held`` (publication places used when given);
    ``others``: more rankers by name."""
    out = {}
    for name, r in (
        ("population", PopulationResolver(gaz)),
        ("context", ContextResolver(gaz)),
        ("learned", ranker),
        *(others or {}).items(),
    ):
        out[name] = [
            score_document(
                d,
                r.resolve(d.text, gold_mentions(d), publication_anchor(gaz, d.publication_place)),
                gaz,
                False,
                id_points,
            )
            for d in held
        ]
    return out


def report(title: str, scores: dict[str, list]) -> None:
    n_top = sum(len(s.errors_km) for s in scores["context"])
    print(f"-- {title}: {len(scores['context'])} documents, {n_top} toponyms")
    for name, ss in scores.items():
        s = summarize(ss, n_boot=2000)
        print(
            f"{name:11s} acc@161 {s['acc161']:.3f} [95% CI {s['acc161_ci_lo']:.3f}, "
            f"{s['acc161_ci_hi']:.3f}]  polygon {s['acc161_polygon']:.3f}  AUC {s['auc']:.3f}"
        )
    for other in ("context", GEOVIRUS_ONLY):
        if other in scores:
            d, lo, hi = paired_diff_ci(scores["learned"], scores[other])
            print(
                f"learned − {other}: {d:+.3f} [95% CI {lo:+.3f}, {hi:+.3f}] (paired over documents)"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--extra", action="append", default=[], help="FORMAT:PATH of another corpus")
    ap.add_argument("--publication-places", help="JSON: document id or outlet -> place")
    args = ap.parse_args()
    gaz = Gazetteer.open()
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    docs = splits["train"] + splits["val"]
    source_of = ["geovirus"] * len(docs)
    for spec in args.extra:
        fmt, path = spec.split(":", 1)
        extra = read_corpus(path, fmt)
        docs += extra
        source_of += [spec] * len(extra)
    if args.publication_places:
        docs = with_publication_places(docs, read_publication_places(args.publication_places))
    id_points = corpus_id_points(docs)
    # folds drawn per source: GeoVirus' documents fall in the same folds whatever is added
    fold_of = np.zeros(len(docs), dtype=int)
    for src in dict.fromkeys(source_of):
        idx = [i for i, s in enumerate(source_of) if s == src]
        fold_of[idx] = np.random.default_rng(0).permutation(len(idx)) % args.folds
    scores = defaultdict(list)
    held_source = []
    for k in range(args.folds):
        train = [d for d, f in zip(docs, fold_of) if f != k]
        held = [d for d, f in zip(docs, fold_of) if f == k]
        ranker = LearnedRanker(gaz, seed=0)
        ranker.fit(train, id_points=id_points)
        others = {}
        if args.extra:  # the same fold's ranker without the extra sources: paired comparison
            others[GEOVIRUS_ONLY] = LearnedRanker(gaz, seed=0)
            others[GEOVIRUS_ONLY].fit(
                [d for d in train if d.corpus == "geovirus"], id_points=id_points
            )
        for name, ss in score_held(gaz, ranker, held, id_points, others).items():
            scores[name] += ss
        held_source += [s for s, f in zip(source_of, fold_of) if f == k]
        print(f"fold {k}: {len(train)} training / {len(held)} held-out documents", flush=True)
    sources = sorted(set(source_of))
    report(f"pooled out-of-fold, {args.folds} folds over {', '.join(sources)}", scores)
    if len(sources) < 2:
        return
    for src in sources:  # the same out-of-fold predictions, per source
        report(
            f"out-of-fold, {src} documents",
            {n: [s for s, h in zip(ss, held_source) if h == src] for n, ss in scores.items()},
        )
    for src in sources:  # leave one source out: trained on the others only
        ranker = LearnedRanker(gaz, seed=0)
        ranker.fit([d for d, s in zip(docs, source_of) if s != src], id_points=id_points)
        held = [d for d, s in zip(docs, source_of) if s == src]
        report(f"leave-one-source-out, {src} held out", score_held(gaz, ranker, held, id_points))


if __name__ == "__main__":
    main()
