"""Score a geoparser on gold documents: recognition, resolution (oracle or end to end),
polygon-aware accuracy and bootstrap CIs over documents."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

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
    polygon_hits: list[bool] = field(default_factory=list)
    tp_exact: int = 0
    tp_overlap: int = 0
    n_pred: int = 0
    n_gold: int = 0


def oracle_mentions(doc: Document) -> list[Mention]:
    """Gold spans as mentions (oracle NER); only toponyms with coordinates."""
    return [Mention(t.start, t.end, t.name, "GOLD", "gold") for t in doc.toponyms if t.resolvable]


def score_document(
    doc: Document, resolved: Sequence[Resolved], gaz: Gazetteer | None, end_to_end: bool
) -> DocScore:
    """Match predictions to gold spans; unmatched gold counts with the maximum error."""
    gold = [t for t in doc.toponyms if t.resolvable]
    s = DocScore(n_pred=len(resolved), n_gold=len(gold))
    gspans = [Span(t.start, t.end) for t in gold]
    pspans = [Span(r.mention.start, r.mention.end) for r in resolved]
    s.tp_exact = len(match_spans(gspans, pspans, "exact"))
    pairs = dict(match_spans(gspans, pspans, "overlap"))
    s.tp_overlap = len(pairs)
    for gi, t in enumerate(gold):
        j = pairs.get(gi)
        place = resolved[j].place if j is not None else None
        if place is None:
            s.errors_km.append(MAX_ERROR_KM)
            s.polygon_hits.append(False)
            continue
        err = float(haversine_km(t.lat, t.lon, place.lat, place.lon))
        s.errors_km.append(err)
        hit = err <= ACC_KM
        if not hit and gaz is not None and place.kind in ("country", "admin1", "region"):
            area = gaz.area(place.key)
            hit = bool(area is not None and area.covers(shapely.Point(t.lon, t.lat)))
        s.polygon_hits.append(hit)
    del end_to_end
    return s


def summarize(scores: Sequence[DocScore], n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """Pooled metrics + 95% bootstrap CIs (over documents) of acc@161 and recognition F1."""

    def pooled_errors(ss):
        return [e for s in ss for e in s.errors_km]

    def acc(ss):
        e = pooled_errors(ss)
        return float(np.mean(np.asarray(e) <= ACC_KM)) if e else math.nan

    def f1(ss, key="tp_overlap"):
        return prf(
            sum(getattr(s, key) for s in ss), sum(s.n_pred for s in ss), sum(s.n_gold for s in ss)
        )["f1"]

    out = geocoding_summary(pooled_errors(scores))
    hits = [h for s in scores for h in s.polygon_hits]
    out["acc161_polygon"] = float(np.mean(hits)) if hits else math.nan
    for mode, key in (("exact", "tp_exact"), ("overlap", "tp_overlap")):
        r = prf(
            sum(getattr(s, key) for s in scores),
            sum(s.n_pred for s in scores),
            sum(s.n_gold for s in scores),
        )
        for k, v in r.items():
            out[f"rec_{k}_{mode}"] = v
    if n_boot:
        lo, hi = bootstrap_ci(scores, acc, n_boot=n_boot, seed=seed)
        out["acc161_ci_lo"], out["acc161_ci_hi"] = lo, hi
        lo, hi = bootstrap_ci(scores, f1, n_boot=n_boot, seed=seed)
        out["rec_f1_overlap_ci_lo"], out["rec_f1_overlap_ci_hi"] = lo, hi
    out["n_docs"] = float(len(scores))
    return out
