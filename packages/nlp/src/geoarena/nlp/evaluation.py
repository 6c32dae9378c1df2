"""Score a geoparser on gold documents: recognition, resolution (oracle or end to end),
polygon-aware accuracy, GeoNames-id accuracy and bootstrap CIs over documents.

Resolved entities are placed under the point convention their document's corpus declares
(:mod:`geoarena.nlp.conventions`); ``acc161_source`` beside it scores the entities' own points.
Recognition is scored against the *geotagged* gold toponyms (those with coordinates: the
denominator of every geocoding figure) and against *all* gold toponyms (``_all`` keys; LGL
has toponyms without a GeoNames tag).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from geoarena.nlp.conventions import IdPoints, convention_of, place_point
from geoarena.nlp.corpora import Document
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.geo_metrics import (
    ACC_KM,
    MAX_ERROR_KM,
    Span,
    bootstrap_ci,
    geocoding_summary,
    haversine_km,
    match_spans,
    prf,
)
from geoarena.nlp.recognition import Mention
from geoarena.nlp.resolution import Resolved


@dataclass
class DocScore:
    """Per-document counts and errors; metrics are pooled over these (and bootstrapped)."""

    errors_km: list[float] = field(default_factory=list)
    errors_km_source: list[float] = field(default_factory=list)
    polygon_hits: list[bool] = field(default_factory=list)
    #: per geotagged gold toponym with a GeoNames id: was the resolved entity's id the same?
    id_hits: list[bool] = field(default_factory=list)
    #: per geotagged gold toponym: the kind of the entity it was resolved to (or "unresolved")
    kinds: list[str] = field(default_factory=list)
    tp_exact: int = 0
    tp_overlap: int = 0
    tp_exact_all: int = 0
    tp_overlap_all: int = 0
    n_pred: int = 0
    n_gold: int = 0
    n_gold_all: int = 0


def oracle_mentions(doc: Document) -> list[Mention]:
    """Gold spans as mentions (oracle NER); only toponyms with coordinates."""
    return [Mention(t.start, t.end, t.name, "GOLD", "gold") for t in doc.toponyms if t.resolvable]


def score_document(
    doc: Document,
    resolved: Sequence[Resolved],
    gaz: Gazetteer | None,
    end_to_end: bool,
    id_points: IdPoints | None = None,
) -> DocScore:
    """Match predictions to gold spans; unmatched gold counts with the maximum error.

    Points follow the convention of ``doc.corpus``; ``id_points`` (GeoNames id → the corpus's
    point, :func:`~geoarena.nlp.conventions.corpus_id_points`) serves the ``geonames``
    convention. Predictions flagged as demonyms are dropped on a corpus that does not annotate
    demonyms.
    """
    conv = convention_of(doc.corpus)
    if not conv.annotates_demonyms:
        resolved = [r for r in resolved if not r.demonym]
    gold = [t for t in doc.toponyms if t.resolvable]
    s = DocScore(n_pred=len(resolved), n_gold=len(gold), n_gold_all=len(doc.toponyms))
    gspans = [Span(t.start, t.end) for t in gold]
    pspans = [Span(r.mention.start, r.mention.end) for r in resolved]
    s.tp_exact = len(match_spans(gspans, pspans, "exact"))
    pairs = dict(match_spans(gspans, pspans, "overlap"))
    s.tp_overlap = len(pairs)
    all_spans = [Span(t.start, t.end) for t in doc.toponyms]
    s.tp_exact_all = len(match_spans(all_spans, pspans, "exact"))
    s.tp_overlap_all = len(match_spans(all_spans, pspans, "overlap"))
    for gi, t in enumerate(gold):
        j = pairs.get(gi)
        place = resolved[j].place if j is not None else None
        if t.geonameid is not None:
            s.id_hits.append(place is not None and place.geonameid == t.geonameid)
        s.kinds.append(place.kind if place is not None else "unresolved")
        if place is None:
            s.errors_km.append(MAX_ERROR_KM)
            s.errors_km_source.append(MAX_ERROR_KM)
            s.polygon_hits.append(False)
            continue
        lat, lon = place_point(place, conv, gaz, id_points)
        err = float(haversine_km(t.lat, t.lon, lat, lon))
        s.errors_km.append(err)
        s.errors_km_source.append(float(haversine_km(t.lat, t.lon, place.lat, place.lon)))
        hit = err <= ACC_KM
        if not hit and gaz is not None and place.kind in ("country", "admin1", "region"):
            area = gaz.area(place.key)
            hit = bool(area is not None and area.covers(shapely.Point(t.lon, t.lat)))
        s.polygon_hits.append(hit)
    del end_to_end
    return s


def oracle_summary(resolver, docs: Sequence[Document], gaz, n_boot: int = 0) -> dict[str, float]:
    """:func:`summarize` of ``resolver`` (any resolver of :mod:`geoarena.nlp.resolution`) on
    the gold toponyms of ``docs``: resolution alone, as the experiments that choose a setting
    on a training split read it."""
    return summarize(
        [score_document(d, resolver.resolve(d.text, oracle_mentions(d)), gaz, False) for d in docs],
        n_boot=n_boot,
    )


def summarize(scores: Sequence[DocScore], n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """Pooled metrics + 95% bootstrap CIs (over documents) of acc@161 and recognition F1."""

    def pooled_errors(ss):
        return [e for s in ss for e in s.errors_km]

    def acc(ss):
        e = pooled_errors(ss)
        return float(np.mean(np.asarray(e) <= ACC_KM)) if e else math.nan

    def f1(ss, key="tp_overlap", n_gold="n_gold"):
        return prf(
            sum(getattr(s, key) for s in ss),
            sum(s.n_pred for s in ss),
            sum(getattr(s, n_gold) for s in ss),
        )["f1"]

    def f1_exact_all(ss):
        return f1(ss, "tp_exact_all", "n_gold_all")

    out = geocoding_summary(pooled_errors(scores))
    hits = [h for s in scores for h in s.polygon_hits]
    out["acc161_polygon"] = float(np.mean(hits)) if hits else math.nan
    src = np.asarray([e for s in scores for e in s.errors_km_source])
    out["acc161_source"] = float(np.mean(src <= ACC_KM)) if src.size else math.nan
    ids = [h for s in scores for h in s.id_hits]
    out["id_acc"] = float(np.mean(ids)) if ids else math.nan
    out["n_with_id"] = float(len(ids))
    for mode, key in (("exact", "tp_exact"), ("overlap", "tp_overlap")):
        for suffix, n_gold in (("", "n_gold"), ("_all", "n_gold_all")):
            r = prf(
                sum(getattr(s, key + suffix) for s in scores),
                sum(s.n_pred for s in scores),
                sum(getattr(s, n_gold) for s in scores),
            )
            for k, v in r.items():
                out[f"rec_{k}_{mode}{suffix}"] = v
    if n_boot:
        lo, hi = bootstrap_ci(scores, acc, n_boot=n_boot, seed=seed)
        out["acc161_ci_lo"], out["acc161_ci_hi"] = lo, hi
        lo, hi = bootstrap_ci(scores, f1, n_boot=n_boot, seed=seed)
        out["rec_f1_overlap_ci_lo"], out["rec_f1_overlap_ci_hi"] = lo, hi
        lo, hi = bootstrap_ci(scores, f1_exact_all, n_boot=n_boot, seed=seed)
        out["rec_f1_exact_all_ci_lo"], out["rec_f1_exact_all_ci_hi"] = lo, hi
    out["n_docs"] = float(len(scores))
    out["n_gold"] = float(sum(s.n_gold for s in scores))
    out["n_gold_all"] = float(sum(s.n_gold_all for s in scores))
    return out


def kind_breakdown(scores: Sequence[DocScore]) -> dict[str, dict[str, float]]:
    """acc@161 and count per kind of resolved entity (``unresolved``: no entity, or a gold
    toponym that was not recognised)."""
    by: dict[str, list[float]] = {}
    for s in scores:
        for kind, err in zip(s.kinds, s.errors_km):
            by.setdefault(kind, []).append(err)
    return {
        k: {"n": float(len(v)), "acc161": float(np.mean(np.asarray(v) <= ACC_KM))}
        for k, v in sorted(by.items(), key=lambda kv: -len(kv[1]))
    }
