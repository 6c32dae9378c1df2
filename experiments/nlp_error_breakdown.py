"""Why the context resolver misses: GeoVirus' TRAINING split (oracle NER), val as a check only.

Every toponym resolved more than 161 km from its gold point is put in one class, from the
candidates the gazetteer offered for its name (``near`` = a candidate within 161 km of the gold
point, or a country / admin-1 / region candidate whose polygon contains it):

* ``a`` **no candidate near gold**: the right place is not in the gazetteer under this name —
  ``a0`` no candidate at all, ``a1`` candidates but all far (a namesake city was chosen, or the
  right entry is missing), ``a2`` another, nearer candidate exists but it is also > 161 km away
  and does not contain the gold point (a wrong entity whose right one also misses the point);
* ``b`` **right entity, point convention**: the chosen entry contains the gold point (polygon),
  or no candidate is near and the chosen entry is an area (country, admin-1, admin-2, region,
  continent) that is the candidate nearest the gold point;
* ``c`` **wrong entity**: the right place is in the gazetteer but was not chosen —
  ``c-within161``: a candidate within 161 km existed; ``c-polygon``: only a candidate whose
  polygon contains the gold point; ``c-nested``: a candidate within 161 km while the chosen
  area contains the gold point (a state chosen for its city); ``c-gen``: the store holds a near
  entry under the name (ordinary or back-off, under the name or a suffix variant) that
  candidate generation never offered (the admin-2 area "Scott County" hidden by the town
  "Scott", found first under the variant "Scott"). ``c`` rows list the chosen entry and the
  right one (the near candidate with the best score) with their features and scores: what a
  resolver change could act on.

The test split is never read here. ``--before`` reproduces the breakdown of the resolver
before ``experiments/nlp_entity_rules.py``'s change (back-off entries only as a fallback,
admin-2 areas without population). Command (a few seconds with the store built):
``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_error_breakdown.py [--top 40] [--before]``
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import shapely

from geoarena.nlp.candidates import _variants
from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_mentions
from geoarena.nlp.gazetteer import Gazetteer, GazetteerConfig, Place
from geoarena.nlp.geo_metrics import ACC_KM, haversine_km
from geoarena.nlp.resolution import FEATURES, ContextResolver

AREA_KINDS = ("country", "admin1", "admin2", "region", "continent")
SHOW = ("log_pop", "main_name", "ctx_country", "ctx_admin1", "ctx_same_country_mentions", "spread")


def _contains(gaz: Gazetteer, p: Place, lat: float, lon: float) -> bool:
    if p.kind not in ("country", "admin1", "region"):
        return False
    area = gaz.area(p.key)
    return bool(area is not None and area.covers(shapely.Point(lon, lat)))


def _all_entries(gaz: Gazetteer, name: str) -> list[Place]:
    """Every entry the store holds under ``name`` or a suffix variant, ordinary or back-off —
    also those candidate generation never reaches (it stops at the first form that matches)."""
    out: dict[str, Place] = {}
    for v in (name, *_variants(name)):
        for m in (*gaz.lookup(v), *gaz.lookup_backoff(v)):
            out.setdefault(m.place.key, m.place)
    return list(out.values())


def _shadowed(gaz: Gazetteer, name: str, lat: float, lon: float, offered: set[str]):
    """An entry near the gold point that the store holds under ``name`` but that was not a
    candidate (e.g. a back-off admin-2 area hidden by a namesake city), with its distance."""
    best = None
    for p in _all_entries(gaz, name):
        if p.key in offered:
            continue
        d = float(haversine_km(p.lat, p.lon, lat, lon))
        if (d <= ACC_KM or _contains(gaz, p, lat, lon)) and (best is None or d < best[1]):
            best = (p, d)
    return best


def classify(gaz: Gazetteer, resolver: ContextResolver, docs) -> tuple[list[dict], int]:
    """One row per gold toponym resolved > 161 km away (or not at all); and the toponym count."""
    rows: list[dict] = []
    n = 0
    for d in docs:
        gold = [t for t in d.toponyms if t.resolvable]
        mentions = oracle_mentions(d)
        sets = resolver.features.sets(mentions)
        scores = resolver.scores(sets)
        n += len(gold)
        for cs, sc in zip(sets, scores):
            for i in cs.mentions:
                t = gold[i]
                base = {"doc": d.doc_id, "name": t.name}
                offered = {m.place.key for m in cs.candidates}
                hidden = _shadowed(gaz, t.name, t.lat, t.lon, offered)
                if not cs.candidates:
                    if hidden:
                        rows.append(
                            {
                                **base,
                                "cls": "c",
                                "sub": "c-gen",
                                "right": hidden[0],
                                "d_right": hidden[1],
                            }
                        )
                    else:
                        rows.append({**base, "cls": "a", "sub": "a0"})
                    continue
                best = int(np.argmax(sc))
                lat = np.array([m.place.lat for m in cs.candidates])
                lon = np.array([m.place.lon for m in cs.candidates])
                dist = np.asarray(haversine_km(lat, lon, t.lat, t.lon), dtype=float)
                if dist[best] <= ACC_KM:
                    continue
                if hidden and not any(
                    d_ <= ACC_KM or _contains(gaz, m.place, t.lat, t.lon)
                    for d_, m in zip(dist, cs.candidates)
                ):
                    rows.append(
                        {
                            **base,
                            "cls": "c",
                            "sub": "c-gen",
                            "chosen": cs.candidates[best].place,
                            "d_chosen": float(dist[best]),
                            "right": hidden[0],
                            "d_right": hidden[1],
                        }
                    )
                    continue
                near = [
                    j
                    for j, m in enumerate(cs.candidates)
                    if dist[j] <= ACC_KM or _contains(gaz, m.place, t.lat, t.lon)
                ]
                chosen = cs.candidates[best].place
                row = {**base, "chosen": chosen, "d_chosen": float(dist[best])}
                within = [j for j in near if dist[j] <= ACC_KM]
                if best in near and not within:
                    rows.append({**row, "cls": "b", "sub": "b-polygon"})
                elif near:
                    # a candidate within 161 km wins over the chosen entry's polygon: "New York"
                    # meant as the city, resolved to the state that contains it, is an entity
                    # error (``c-nested``), not a point convention
                    right = max(within or near, key=lambda j: sc[j])
                    order = np.argsort(-sc, kind="stable")
                    rows.append(
                        {
                            **row,
                            "cls": "c",
                            "sub": "c-"
                            + (
                                "nested"
                                if best in near
                                else ("within161" if dist[right] <= ACC_KM else "polygon")
                            ),
                            "right": cs.candidates[right].place,
                            "d_right": float(dist[right]),
                            "rank_right": int(np.where(order == right)[0][0]) + 1,
                            "n_cand": len(cs.candidates),
                            "f_chosen": cs.features[best].copy(),
                            "f_right": cs.features[right].copy(),
                            "s_chosen": float(sc[best]),
                            "s_right": float(sc[right]),
                            "main_right": cs.candidates[right].main,
                            "main_chosen": cs.candidates[best].main,
                        }
                    )
                elif int(np.argmin(dist)) == best or dist.min() >= dist[best] - 1e-6:
                    if chosen.kind in AREA_KINDS:
                        rows.append({**row, "cls": "b", "sub": "b-nearest-area"})
                    else:
                        rows.append({**row, "cls": "a", "sub": "a1"})
                else:
                    j = int(np.argmin(dist))
                    rows.append(
                        {
                            **row,
                            "cls": "a",
                            "sub": "a2",
                            "right": cs.candidates[j].place,
                            "d_right": float(dist[j]),
                        }
                    )
    return rows, n


def _feat(f: np.ndarray) -> str:
    return " ".join(f"{k}={f[FEATURES.index(k)]:.2f}" for k in SHOW)


def _place(p: Place) -> str:
    return f"{p.name} [{p.kind} {p.country_code}{'.' + p.admin1_code if p.admin1_code else ''} pop={p.population:,}]"


def report(split: str, rows: list[dict], n: int, top: int) -> None:
    cls = Counter(r["cls"] for r in rows)
    sub = Counter(r["sub"] for r in rows)
    print(
        f"\n== {split}: {n} toponyms, {len(rows)} errors > {ACC_KM:.0f} km "
        f"(acc@161 {1 - len(rows) / n:.4f})"
    )
    for c, label in (
        ("a", "no candidate near gold (missing name / entry)"),
        ("b", "right entity, point convention"),
        ("c", "wrong entity, a near candidate existed"),
    ):
        subs = ", ".join(f"{k} {v}" for k, v in sorted(sub.items()) if k.startswith(c))
        print(f"  ({c}) {label:48s} {cls[c]:4d}  ({subs})")
    for c in ("a", "b"):
        names = Counter(r["name"] for r in rows if r["cls"] == c)
        print(f"  ({c}) top names: {', '.join(f'{k} {v}' for k, v in names.most_common(20))}")
    bk = Counter(r["chosen"].kind for r in rows if r["cls"] == "b")
    print(f"  (b) chosen kinds: {', '.join(f'{k} {v}' for k, v in bk.most_common())}")
    gen = [r for r in rows if r["sub"] == "c-gen"]
    for r in gen:
        ch = f"{_place(r['chosen'])} {r['d_chosen']:.0f} km" if "chosen" in r else "nothing"
        if top:
            print(
                f"   c-gen {r['name']!r}: chose {ch}; store holds {_place(r['right'])} "
                f"{r['d_right']:.0f} km"
            )
    cs = [r for r in rows if r["cls"] == "c" and r["sub"] != "c-gen"]
    if not cs:
        return
    kinds = Counter((r["chosen"].kind, r["right"].kind) for r in cs)
    print(
        "  (c) chosen kind → right kind: "
        + ", ".join(f"{a}→{b} {v}" for (a, b), v in kinds.most_common())
    )
    same_cc = sum(r["chosen"].country_code == r["right"].country_code for r in cs)
    print(
        f"  (c) right one ranked 2nd: {sum(r['rank_right'] == 2 for r in cs)}; same country: {same_cc}; "
        f"right one by alternate name only: {sum(not r['main_right'] for r in cs)}"
    )
    by_name = Counter(r["name"] for r in cs)
    print(f"  (c) top names: {', '.join(f'{k} {v}' for k, v in by_name.most_common(25))}")
    if top:
        seen = set()
        print(f"  (c) examples (first {top} distinct names, most frequent first):")
        for name, _ in by_name.most_common():
            if len(seen) >= top:
                break
            seen.add(name)
            r = next(x for x in cs if x["name"] == name)
            print(
                f"   - {name!r} ×{by_name[name]}: chose {_place(r['chosen'])} {r['d_chosen']:.0f} km "
                f"score {r['s_chosen']:.2f} main={int(r['main_chosen'])} | {_feat(r['f_chosen'])}\n"
                f"       right {_place(r['right'])} {r['d_right']:.0f} km score {r['s_right']:.2f} "
                f"rank {r['rank_right']}/{r['n_cand']} main={int(r['main_right'])} | {_feat(r['f_right'])}"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=40, help="(c) examples to print for train")
    ap.add_argument("--before", action="store_true", help="the resolver before the change")
    args = ap.parse_args()
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    if args.before:
        gaz = Gazetteer.open(cfg=GazetteerConfig(admin2_population=False))
        resolver = ContextResolver(gaz, backoff="fallback")
    else:
        gaz = Gazetteer.open()
        resolver = ContextResolver(gaz)
    for split, top in (("train", args.top), ("val", 0)):  # val: counts only, a check
        rows, n = classify(gaz, resolver, splits[split])
        report(split, rows, n, top)


if __name__ == "__main__":
    main()
