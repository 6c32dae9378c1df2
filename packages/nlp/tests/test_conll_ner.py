"""The ``conll`` corpus format: CoNLL NER files read as recognition-only toponym corpora."""

import importlib.util
import json
from pathlib import Path

import pytest

from geoarena.core.errors import DataError
from geoarena.nlp.conll_ner import CONLL2003_SAMPLE, read_conll
from geoarena.nlp.corpora import read_corpus

_HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def conll(tmp_path_factory):
    make = _load("nlp_make_conll", _HERE / "data" / "make_conll.py")
    return make.write_conll(tmp_path_factory.mktemp("conll"))


def test_iob2_text_and_spans(conll):
    (doc,) = read_conll(conll["conll_iob2"])
    assert doc.text == "Flooding hit Paris, Texas, on Monday; officials in Austin said."
    assert [(t.name, t.label) for t in doc.toponyms] == [
        ("Paris", "LOC"),
        ("Texas", "LOC"),
        ("Austin", "LOC"),
    ]
    assert all(doc.text[t.start : t.end] == t.name for t in doc.toponyms)
    assert not any(t.resolvable for t in doc.toponyms)  # no coordinates: recognition only
    assert doc.corpus == "conll" and doc.doc_id == "iob2-0000"


def test_iob1_entities_and_label_mapping(conll):
    d1, d2 = read_corpus(conll["conll_iob1"], "conll")
    assert d1.text == (
        "French police in Lyon and the Rhone Valley (France) told Reuters.\n"
        "Chicago Springfield route closed"
    )
    # LOC and GPE are toponyms; the demonym (MISC) and the ORG are not; B- splits two LOCs
    assert [t.name for t in d1.toponyms] == [
        "Lyon",
        "Rhone Valley",
        "France",
        "Chicago",
        "Springfield",
    ]
    assert [t.label for t in d1.toponyms] == ["LOC", "LOC", "GPE", "LOC", "LOC"]
    assert all(d1.text[t.start : t.end] == t.name for t in d1.toponyms)
    assert d2.toponyms == [] and d2.doc_id == "iob1-0001"
    only_loc = read_conll(conll["conll_iob1"], labels=frozenset({"LOC"}))
    assert "France" not in [t.name for t in only_loc[0].toponyms]


def test_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Paris NNP B-NP LOCATION\n")
    with pytest.raises(DataError, match=r"bad\.txt.*line 1: tag 'LOCATION'"):
        read_conll(bad)
    with pytest.raises(DataError, match="does not exist"):
        read_conll(tmp_path / "missing.txt")
    with pytest.raises(DataError, match="expected a CoNLL file"):
        read_conll(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("-DOCSTART- -X- -X- O\n\n")
    with pytest.raises(DataError, match="no sentences"):
        read_conll(empty)


def test_conll2003_is_a_pinned_registry_sample():
    from geoarena.core.registry import SAMPLES

    assert SAMPLES.get(CONLL2003_SAMPLE.name) == CONLL2003_SAMPLE
    assert CONLL2003_SAMPLE.kind == "pypi-wheel" and len(CONLL2003_SAMPLE.sha256) == 64
    assert "research use" in CONLL2003_SAMPLE.license


def test_cli_eval_recognition_only(conll, gaz_cache, tmp_path, capsys):
    tool = _load("geoparse_tool_conll", _HERE.parents[2] / "tools" / "geoparse.py")
    out_json = tmp_path / "eval.json"
    args = ["--eval", str(conll["conll_iob2"]), "--format", "conll", "--recognizer", "gazetteer"]
    args += ["--cache-dir", str(gaz_cache)]
    assert tool.main([*args, "--json-out", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "recognition only" in text and "== gold toponyms" not in text
    assert "recognition vs all gold" in text and "exact F1 95% CI" in text
    assert "vs geotagged gold" not in text and "acc@161" not in text
    (e2e,) = json.loads(out_json.read_text())
    m = e2e["metrics"]
    assert e2e["setting"] == "end to end" and m["n_gold_all"] == 3 and m["n_gold"] == 0
    # the fixture gazetteer knows Paris, Texas and Austin: every gold span is found
    assert m["rec_recall_exact_all"] == 1.0 and 0.0 < m["rec_precision_exact_all"] <= 1.0
    assert m["rec_f1_exact_all_ci_lo"] <= m["rec_f1_exact_all"] <= m["rec_f1_exact_all_ci_hi"]
    assert tool.main([*args, "--settings", "gold"]) == 2
    assert "use --settings e2e" in capsys.readouterr().err
