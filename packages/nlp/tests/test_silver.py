"""Silver labels from a NER corpus (``geoarena.nlp.silver``) on a tiny CoNLL file written here,
over the fixture gazetteer (Paris in France and Texas, Charleston in West Virginia and South
Carolina, London in England and Ontario, one Austin)."""

from collections import Counter

import numpy as np
import pytest

from geoarena.nlp.candidates import FEATURES
from geoarena.nlp.conll_ner import read_conll
from geoarena.nlp.conventions import convention_of
from geoarena.nlp.corpora import read_corpus
from geoarena.nlp.resolution import LearnedRanker
from geoarena.nlp.silver import SILVER_CORPUS, read_conll_silver, silver_document

#: documents of "token/TAG" words, one string a sentence (CoNLL-2003 layout, IOB2)
DOCS = [
    # qualified by a state; the name's second mention shares the label; Austin has one
    # candidate: context only
    [
        "Flooding/O hit/O Paris/B-LOC ,/O Texas/B-LOC ,/O on/O Monday/O ./O",
        "Paris/B-LOC officials/O in/O Austin/B-LOC said/O ./O",
    ],
    # a state abbreviation and a country (Ontario is an admin-1 area of Canada)
    [
        "Officials/O in/O Charleston/B-LOC ,/O W.Va./B-LOC said/O ./O",
        "London/B-LOC ,/O Ontario/B-LOC ,/O agreed/O ./O",
    ],
    # a list: no comma there qualifies a name
    ["Lyon/B-LOC ,/O Paris/B-LOC ,/O Texas/B-LOC and/O London/B-LOC met/O ./O"],
    # one name qualified into two places: dropped; Austin is unambiguous
    [
        "Paris/B-LOC ,/O Texas/B-LOC ,/O is/O not/O Paris/B-LOC ,/O France/B-LOC ./O",
        "Austin/B-LOC ,/O Texas/B-LOC ,/O voted/O ./O",
    ],
]


def _conll(docs: list[list[str]]) -> str:
    out = []
    for doc in docs:
        out += ["-DOCSTART- -X- -X- O", ""]
        for sent in doc:
            out += [f"{w.rsplit('/', 1)[0]} NNP O {w.rsplit('/', 1)[1]}" for w in sent.split()]
            out.append("")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def conll_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("silver") / "train.txt"
    path.write_text(_conll(DOCS), encoding="utf-8")
    return path


def _labels(doc):
    return [(t.name, t.geonameid if t.resolvable else None) for t in doc.toponyms]


def test_qualified_name_and_one_sense_per_discourse(conll_file, gaz):
    stats = Counter()
    doc = silver_document(read_conll(conll_file)[0], gaz, stats)
    # the qualifier is cut from the text and from the spans
    assert doc.text == "Flooding hit Paris, on Monday.\nParis officials in Austin said."
    assert _labels(doc) == [("Paris", 4717560), ("Paris", 4717560), ("Austin", None)]
    assert all(doc.text[t.start : t.end] == t.name for t in doc.toponyms)
    assert (doc.toponyms[0].lat, doc.toponyms[0].lon) == (33.66094, -95.55551)
    assert doc.corpus == SILVER_CORPUS and doc.doc_id == "silver-train-0000"
    assert stats["silver-toponyms"] == 2 and stats["silver-names"] == 1


def test_abbreviation_and_admin1_qualifiers(conll_file, gaz):
    doc = silver_document(read_conll(conll_file)[1], gaz)
    assert doc.text == "Officials in Charleston said.\nLondon, agreed."
    assert _labels(doc) == [("Charleston", 4801859), ("London", 6058560)]


def test_lists_conflicts_and_unambiguous_names_give_nothing(conll_file, gaz):
    stats = Counter()
    docs = read_conll(conll_file)
    assert silver_document(docs[2], gaz, stats) is None
    assert silver_document(docs[3], gaz, stats) is None
    assert stats["skip:list"] == 2
    assert stats["skip:conflict"] == 2
    assert stats["skip:unambiguous"] == 1


def test_reader_route_and_convention(conll_file, gaz_cache, monkeypatch):
    monkeypatch.setenv("GEOARENA_CACHE", str(gaz_cache))
    docs = read_corpus(conll_file, "conll-silver")
    assert [d.doc_id for d in docs] == ["silver-train-0000", "silver-train-0001"]
    assert convention_of(SILVER_CORPUS).points == "geonames"


def test_training_rows_never_see_the_qualifier(conll_file, gaz):
    ranker = LearnedRanker(gaz)
    docs = read_conll_silver(conll_file, gaz)
    x, y, groups = ranker.training_rows(docs[:1])
    # one group: Paris (Austin has one candidate and no label)
    assert len(groups) == 1 and y.sum() == 1
    assert np.all(x[:, FEATURES.index("contained")] == 0)
    # unmasked, the containment feature would have named the label
    original = read_conll(conll_file)[0]
    original.toponyms[0].lat, original.toponyms[0].lon = 33.66094, -95.55551
    x0, y0, _ = ranker.training_rows([original])
    assert x0[y0 == 1, FEATURES.index("contained")].tolist() == [1.0]
