import math

import pytest

from geoarena.core.errors import DataError
from geoarena.nlp.corpora import (
    read_geovirus,
    read_geowebnews,
    read_lgl,
    read_wiktor,
    split_documents,
)


def test_geovirus_quirks(fixtures):
    docs = read_geovirus(fixtures["geovirus"])
    assert len(docs) == 2  # the commented-out template article is not an article
    d1, d2 = docs
    for d in docs:
        for t in d.toponyms:
            assert d.text[t.start : t.end] == t.name  # offsets shifted by −1 into Python's
    # the doubled <location> tag wraps two real locations: both are read, none twice
    assert [t.name for t in d2.toponyms] == ["Paris", "Lyon", "France", "U.S."]
    assert d2.toponyms[-1].alt_name == "United States"
    assert d1.toponyms[0].lat == pytest.approx(33.66)


def test_geovirus_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<articles><article><text>x</text>")
    with pytest.raises(DataError, match=r"broken\.xml.*malformed XML"):
        read_geovirus(bad)
    wrong = tmp_path / "shifted.xml"
    wrong.write_text(
        "<articles><article><text>Lyon is nice</text><locations><location><name>Paris</name>"
        "<start>1</start><end>6</end><lat>1</lat><lon>2</lon></location></locations></article></articles>"
    )
    with pytest.raises(DataError, match=r"shifted\.xml.*not 'Paris'.*within 100 characters"):
        read_geovirus(wrong)
    with pytest.raises(DataError, match="does not exist"):
        read_geovirus(tmp_path / "missing.xml")


def _paris(text: str, line: str) -> int:
    return text.index(line) + line.index("Paris")


def test_a_shifted_span_is_found_at_its_nearest_occurrence(tmp_path):
    """Offsets counted over the escaped text ("AT&amp;T" is 8 characters, "AT&T" 4) shift every
    later span of the article: each is taken where its name occurs nearest its offsets."""
    text = "AT&amp;T said Paris and Lyon, not Paris, Texas."
    shifted = tmp_path / "lgl.xml"
    # a miscount that grows along the article (a "\r" dropped per line): 150 lines in, the
    # span lies 150 characters before its offsets, found from the drift of the spans before
    lines = [f"Line {i} of the story in Paris." for i in range(151)]
    drifting = "\n".join(lines)
    far = "".join(
        f"<toponym><start>{_paris(drifting, line) + i}</start>"
        f"<end>{_paris(drifting, line) + i + 5}</end><phrase>Paris</phrase></toponym>"
        for i, line in enumerate(lines)
        if i % 10 == 0
    )
    spans = [("Paris", 14), ("Lyon", 24), ("Paris", 34)]  # offsets over the escaped text
    tops = "".join(
        f"<toponym><start>{s}</start><end>{s + len(n)}</end><phrase>{n}</phrase></toponym>"
        for n, s in spans
    )
    shifted.write_text(
        f"<articles><article docid='1'><text>{text}</text><toponyms>{tops}</toponyms>"
        "</article><article docid='2'><text>Rain in Austin.</text><toponyms><toponym>"
        "<start>8</start><end>14</end></toponym></toponyms></article>"
        f"<article docid='3'><text>{drifting}</text><toponyms>{far}</toponyms></article></articles>"
    )
    doc, no_phrase = read_lgl(shifted)[:2]
    assert [t.name for t in no_phrase.toponyms] == ["Austin"]  # no <phrase>: the span's text
    drifted = read_lgl(shifted)[2]
    assert [t.start for t in drifted.toponyms] == [
        _paris(drifting, line) for i, line in enumerate(lines) if i % 10 == 0
    ]
    assert [(t.name, t.start) for t in doc.toponyms] == [("Paris", 10), ("Lyon", 20), ("Paris", 30)]
    assert all(doc.text[t.start : t.end] == t.name for t in doc.toponyms)


def test_lgl_wiktor_geowebnews(fixtures):
    lgl = read_lgl(fixtures["lgl"])[0]
    assert lgl.doc_id == "38765806"
    names = {t.name: t for t in lgl.toponyms}
    assert names["Chicago"].geonameid == 4887398 and names["Chicago"].lat == pytest.approx(41.85)
    assert not names["Residents"].resolvable and math.isnan(names["Residents"].lat)
    wk = read_wiktor(fixtures["wiktor"])[0]
    assert [(t.start, t.name) for t in wk.toponyms] == [(0, "Lyon"), (26, "Lyon")]
    assert all(t.lat == pytest.approx(45.76) for t in wk.toponyms)
    assert lgl.outlet == "sj-r.com"  # <domain>
    gwn = read_geowebnews(fixtures["geowebnews"])[0]
    assert gwn.outlet == "12news.com" and gwn.source.startswith("http://www.12news.com/")
    assert [t.name for t in gwn.toponyms] == ["Paris", "London"]  # the demonym is not a toponym
    assert gwn.toponyms[0].lon == pytest.approx(2.3522)
    assert gwn.toponyms[1].geonameid == 2643743 and not gwn.toponyms[1].resolvable


def test_split_by_document_is_seeded_and_disjoint(fixtures):
    docs = read_geovirus(fixtures["geovirus"]) * 10
    for i, d in enumerate(docs):
        d.doc_id = f"d{i}"
    a = split_documents(docs, seed=0)
    b = split_documents(docs, seed=0)
    assert [d.doc_id for d in a["test"]] == [d.doc_id for d in b["test"]]
    ids = [d.doc_id for s in a.values() for d in s]
    assert sorted(ids) == sorted(d.doc_id for d in docs)
    assert len(a["test"]) == 6 and len(a["val"]) == 3


def test_packaged_geovirus_is_the_default(monkeypatch):
    """The vendored corpus is found without any data root; $GEOARENA_GEOVIRUS overrides it."""
    import hashlib

    from geoarena.nlp.corpora import PACKAGED_GEOVIRUS, default_geovirus_path

    monkeypatch.delenv("GEOARENA_GEOVIRUS", raising=False)
    path = default_geovirus_path()
    assert path == PACKAGED_GEOVIRUS
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == "2f8a928b9af4a44232493b37c5324bcb14a06873a4d97315cf3b2c7653ea06b1"
    docs = read_geovirus(path)
    assert len(docs) == 229 and sum(len(d.toponyms) for d in docs) == 2170
    monkeypatch.setenv("GEOARENA_GEOVIRUS", str(path.parent / "missing.xml"))
    with pytest.raises(DataError, match=r"missing\.xml.*GEOARENA_GEOVIRUS"):
        default_geovirus_path()
