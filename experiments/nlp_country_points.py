"""Which representative point should a country get? Compared on GeoVirus' TRAINING split only.

GeoVirus' gold points for countries are Wikipedia's (e.g. United States 40, −100), which no
gazetteer reproduces exactly; this picks, among conventions available from registry packages,
the one that best matches on the training documents (oracle NER, context resolver):
``factbook`` (countryinfo's CIA-Factbook coordinates), ``label`` (Natural Earth label point),
``centroid`` (whole-polygon centroid), ``mainland`` (largest part's centroid).

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_country_points.py``
Runtime: ~4 min (builds one gazetteer per convention, ~40 s each).
"""

from __future__ import annotations

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_mentions, score_document, summarize
from geoarena.nlp.gazetteer import Gazetteer, GazetteerConfig
from geoarena.nlp.resolution import ContextResolver


def main() -> None:
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    for point in ("factbook", "label", "centroid", "mainland"):
        gaz = Gazetteer.open(cfg=GazetteerConfig(country_point=point))
        r = ContextResolver(gaz)
        s = summarize(
            [
                score_document(d, r.resolve(d.text, oracle_mentions(d)), gaz, False)
                for d in splits["train"]
            ],
            n_boot=0,
        )
        print(
            f"{point:10s} train acc161={s['acc161']:.3f} auc={s['auc']:.3f} polygon={s['acc161_polygon']:.3f}"
        )


if __name__ == "__main__":
    main()
