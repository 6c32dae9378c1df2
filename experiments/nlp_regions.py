"""Region entries (admin-1 families, UN M49 macro-regions): chosen on GeoVirus' TRAINING split.

Rows (oracle NER, context resolver; each row builds its own gazetteer store):

* ``baseline``: the store before region entries (admin-2 back-off entries, no regions);
* ``+ admin-1 families``: composite regions named by the shared stem of ≥ 2 admin-1 areas
  ("Darfur", "Sumatra", "Kivu"), back-off entries, plus admin-1 names in the other compass form
  ("South Darfur") as back-off names (``GazetteerConfig.admin1_families``);
* ``+ macro-regions (<point>)``: groups of countries (countryinfo's UN M49 region / sub-region /
  intermediate region, ``REGION_MEMBERS``' "Middle East") as ordinary entries of kind
  ``region``, with each point convention (``GazetteerConfig.region_point``).

The choice is made on train (acc@161, then AUC); the validation split is printed as a check
only; the test split is never looked at here.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_regions.py``
Runtime: ~2 min on 2 CPU cores (five gazetteer builds of ~15–40 s, once; then cached).
"""

from __future__ import annotations

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_summary
from geoarena.nlp.gazetteer import REGION_POINTS, Gazetteer, GazetteerConfig
from geoarena.nlp.resolution import ContextResolver

SPLITS = ("train", "val")


def rows() -> dict[str, GazetteerConfig]:
    out = {
        "baseline": GazetteerConfig(admin1_families=False, macro_regions=False),
        "+ admin-1 families": GazetteerConfig(admin1_families=True, macro_regions=False),
    }
    for point in REGION_POINTS:
        out[f"+ macro-regions ({point})"] = GazetteerConfig(
            admin1_families=True, macro_regions=True, region_point=point
        )
    return out


def main() -> None:
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    results = {}
    for label, cfg in rows().items():
        gaz = Gazetteer.open(cfg=cfg)
        r = ContextResolver(gaz)
        s = {}
        for sp in SPLITS:
            s[sp] = oracle_summary(r, splits[sp], gaz)
        results[label] = s
        print(
            f"{label:32s} [{cfg.tag()}] train acc161={s['train']['acc161']:.4f} "
            f"auc={s['train']['auc']:.4f} polygon={s['train']['acc161_polygon']:.4f} "
            f"mean_km={s['train']['mean_km']:.0f} | val acc161={s['val']['acc161']:.4f} "
            f"auc={s['val']['auc']:.4f} polygon={s['val']['acc161_polygon']:.4f}",
            flush=True,
        )
    best = max(results, key=lambda k: (results[k]["train"]["acc161"], -results[k]["train"]["auc"]))
    print(f"best on train: {best}")


if __name__ == "__main__":
    main()
