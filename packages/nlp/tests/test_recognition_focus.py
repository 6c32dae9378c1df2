"""Local news: counties named in full, small towns of the document's focus state, demonyms
that a hamlet shares, and team names in sports results (fixture gazetteer, real formats)."""

from geoarena.nlp.recognition import GazetteerMatcher, Mention, is_results_row
from geoarena.nlp.recognition_focus import FocusRescue, focus_admin1, is_county_phrase


def _at(text, name, label="LOC", source="ner", occurrence=0):
    s = -1
    for _ in range(occurrence + 1):
        s = text.index(name, s + 1)
    return Mention(s, s + len(name), name, label, source)


def _rescue(gaz, text, kept, other=()):
    matcher = GazetteerMatcher(gaz)
    rescue = FocusRescue(gaz, matcher.plausible_word)
    return [m.text for m in rescue.rescue(text, kept, list(other), list(matcher.phrases(text)))]


def test_counties_named_in_full_are_places_even_inside_an_organisation(gaz):
    assert is_county_phrase(gaz, "Greene County") and is_county_phrase(gaz, "Kanawha County")
    assert not is_county_phrase(gaz, "Greene") and not is_county_phrase(gaz, "Orange County")
    text = "The Greene County Commission voted Tuesday."
    assert _rescue(gaz, text, []) == ["Greene County"]


def test_small_towns_of_the_focus_state_are_recognised(gaz):
    text = (
        "CHARLESTON, W.Va. — Flooding closed roads across Kanawha County. "
        "Residents of Clendenin and Elkview were evacuated."
    )
    kept = [_at(text, "CHARLESTON"), _at(text, "W.Va.")]
    other = [_at(text, "Clendenin and Elkview", "ORG", "ner-other")]
    # W.Va. and the county are two anchors in West Virginia: its towns count
    assert focus_admin1(gaz, [*kept, _at(text, "Kanawha County")]) == {"US.WV"}
    assert _rescue(gaz, text, kept, other) == ["Kanawha County", "Clendenin", "Elkview"]


def test_one_anchor_is_no_focus_and_person_names_stay_persons(gaz):
    text = "Officials in Kansas City met Gov. Mike Joplin, who later spoke in Joplin."
    one = [_at(text, "Kansas City")]
    persons = [_at(text, "Mike Joplin", "PERSON", "ner-other")]
    assert focus_admin1(gaz, one) == set() and _rescue(gaz, text, one, persons) == []
    two = [*one, _at(text + " Mo.", "Mo.")]
    text2 = text + " Mo."
    got = _rescue(gaz, text2, two, [*persons, _at(text, "Joplin", "PERSON", "ner-other", 1)])
    assert got == ["Joplin"]  # the town, not the governor's surname
    # a word the model calls a person is a town only after what introduces a place
    praised = "Officials in Kansas City, Mo., praised Joplin for its parks."
    two = [_at(praised, "Kansas City"), _at(praised, "Mo.")]
    joplin = [_at(praised, "Joplin", "PERSON", "ner-other")]
    assert focus_admin1(gaz, two) == {"US.MO"} and _rescue(gaz, praised, two, joplin) == []
    assert _rescue(gaz, praised, two) == ["Joplin"]  # untagged, a town of the focus state
    # or before a word for its people: "a Joplin man"
    man = "Officials in Kansas City, Mo., said a Joplin man was hurt."
    two = [_at(man, "Kansas City"), _at(man, "Mo.")]
    assert _rescue(gaz, man, two, [_at(man, "Joplin", "PERSON", "ner-other")]) == ["Joplin"]


def test_one_anchor_and_names_that_share_its_state_make_the_focus(gaz):
    """No county and only one anchor (Killeen), but Texas alone holds a reading of three
    names: its towns are recognised — a town name the small model tags as a person's after
    "from", and a town after a person's "of"; a person's name without such a word is not."""
    text = (
        "Soldiers returned to Killeen. Sgt. Maria Lopez of Temple said friends from Copperas "
        "Cove drove up from Waco and Paris. Officer Copperas Cove spoke."
    )
    kept = [_at(text, n) for n in ("Killeen", "Waco", "Paris")]
    assert focus_admin1(gaz, kept) == {"US.TX"}
    assert focus_admin1(gaz, kept[:2]) == set()  # two names are not enough
    cove = _at(text, "Copperas Cove", "PERSON", "ner-other")
    other = [
        _at(text, "Maria Lopez", "PERSON", "ner-other"),
        cove,
        _at(text, "Copperas Cove", "PERSON", "ner-other", 1),  # "Officer Copperas Cove"
    ]
    got = _rescue(gaz, text, kept, other)
    assert got == ["Copperas Cove", "Temple"]
    assert _rescue_mentions(gaz, text, kept, other)[0].start == cove.start
    # without the anchor the same names make no focus (world or sports news)
    no_anchor = [_at(text, n) for n in ("Waco", "Paris", "Temple")]
    assert focus_admin1(gaz, no_anchor) == set()


def _rescue_mentions(gaz, text, kept, other=()):
    matcher = GazetteerMatcher(gaz)
    rescue = FocusRescue(gaz, matcher.plausible_word)
    return rescue.rescue(text, kept, list(other), list(matcher.phrases(text)))


def test_demonym_shared_with_a_hamlet_stays_a_demonym(gaz):
    (m,) = gaz.lookup_demonym("Canadian")
    assert m.place.key == "country:CA"  # Canadian, Texas (3,013 people) does not outrank it
    text = "A Canadian firm opened in Austin and Houston, Texas. Taco Bell, Sacramento, Calif."
    kept = [_at(text, n) for n in ("Austin", "Houston", "Texas", "Sacramento", "Calif.")]
    # Texas is a focus state, but "Canadian" is a demonym and "Bell" only part of a name
    assert "Canadian" not in _rescue(gaz, text, kept) and "Bell" not in _rescue(gaz, text, kept)


def test_names_in_sports_results_rows_are_teams():
    table = "Division two Plymouth 4 3 1 0 10 6 10 Brentford 4 3 1 0 9 3 10"
    scores = "Bradford 1 Tranmere 0 Grimsby 0 Crystal Palace 1 Norwich 1"
    for text, name in ((table, "Brentford"), (scores, "Grimsby"), (scores, "Crystal Palace")):
        assert is_results_row(text, _at(text, name)), name
    prose = "Floods hit Paris 2 days ago; 3 Houston schools closed. Lyon 2024 bid."
    for name in ("Paris", "Houston", "Lyon"):
        assert not is_results_row(prose, _at(prose, name)), name


class _FixedNER:
    """Stands in for spaCy: the given mentions for the one text."""

    def __init__(self, mentions):
        self.mentions = mentions

    def recognize(self, texts):
        return [list(self.mentions)]


def test_gazetteer_phrases_inside_longer_person_or_org_names_are_not_places(gaz):
    from geoarena.nlp.recognition import CombinedRecognizer

    text = "Mike Austin of Houston Industries flew to Houston on Monday."
    ner = [
        _at(text, "Mike Austin", "PERSON", "ner-other"),
        _at(text, "Houston Industries", "ORG", "ner-other"),
        _at(text, "Houston", "GPE", "ner", occurrence=1),
    ]
    matcher = GazetteerMatcher(gaz)

    def spans(nested_in):
        rec = CombinedRecognizer(_FixedNER(ner), matcher, nested_in=nested_in)
        return [(m.text, m.start) for m in rec.recognize([text])[0]]

    city = text.index("Houston", text.index("Houston") + 1)
    # the gazetteer alone would take "Austin" out of the person and "Houston" out of the firm
    assert spans(()) == [("Austin", 5), ("Houston", 15), ("Houston", city)]
    assert spans(("PERSON", "ORG", "NORP")) == [("Houston", city)]
    # a whole entity that is a place stays a place: an ORG tag on the city alone is rescued
    alone = "Flights to Houston resumed."
    rec = CombinedRecognizer(
        _FixedNER([_at(alone, "Houston", "ORG", "ner-other")]), matcher, nested_in=("ORG",)
    )
    assert [m.text for m in rec.recognize([alone])[0]] == ["Houston"]


def test_nested_in_names_only_labels_the_recogniser_keeps(gaz):
    import pytest

    from geoarena.core.errors import ConfigError
    from geoarena.nlp.geoparser import GeoparserConfig, build_recognizer

    with pytest.raises(ConfigError, match=r"nested_in \['GPE'\]"):
        build_recognizer(GeoparserConfig(nested_in=("PERSON", "GPE")), gaz)


def test_road_names_are_not_places(gaz):
    """Local news names roads after places ("U.S. 82", "Ohio Route 33"): the place name in a
    road's name is not a reference to the place, while the country before a figure stays."""
    from geoarena.nlp.mention_filters import is_road_name
    from geoarena.nlp.recognition import CombinedRecognizer

    roads = (
        "The crash on U.S. 82 east of Paris closed the road; U.S. 271, and U.S. Highway 59 "
        "reopened. Crews paved Ohio Route 33 and Lamar County Road 35000."
    )
    for name, occurrence in (("U.S.", 0), ("U.S.", 1), ("U.S.", 2), ("Ohio", 0)):
        assert is_road_name(roads, _at(roads, name, occurrence=occurrence)), (name, occurrence)
    assert is_road_name(roads, _at(roads, "Lamar County"))
    assert not is_road_name(roads, _at(roads, "Paris"))
    figures = (
        "U.S. 30-year bonds fell; the U.S. 10 percent tariff and crops worth $US 1.5 billion. "
        "The Texas Highway Patrol and the U.S. in 2008."
    )
    for name, occurrence in (("U.S.", 0), ("U.S.", 1), ("US", 0), ("Texas", 0), ("U.S.", 2)):
        assert not is_road_name(figures, _at(figures, name, occurrence=occurrence)), (
            name,
            occurrence,
        )
    # end to end: the recogniser drops the road's "U.S." and keeps the town
    text = "Deputies closed U.S. 82 east of Paris on Monday."
    ner = [_at(text, "U.S.", "GPE", "ner"), _at(text, "Paris", "GPE", "ner")]
    rec = CombinedRecognizer(_FixedNER(ner), GazetteerMatcher(gaz))
    assert [m.text for m in rec.recognize([text])[0]] == ["Paris"]


def test_a_word_of_letters_and_digits_is_a_code_not_a_place(gaz):
    """spaCy's small model tags the flu subtype "H1N1" as a GPE; a word mixing letters and
    digits is a code (subtypes, aircraft, flights), not a place's name."""
    from geoarena.nlp.mention_filters import is_code
    from geoarena.nlp.recognition import CombinedRecognizer

    for code in ("H1N1", "H5N1", "A380", "UA93", "W-2"):
        assert is_code(Mention(0, len(code), code, "GPE", "ner")), code
    for name in ("Paris", "U.S.", "Area 51", "Wilkes-Barre", "1600"):
        assert not is_code(Mention(0, len(name), name, "GPE", "ner")), name
    text = "Two cases of H1N1 were confirmed in Paris on Monday."
    ner = [_at(text, "H1N1", "GPE", "ner"), _at(text, "Paris", "GPE", "ner")]
    rec = CombinedRecognizer(_FixedNER(ner), GazetteerMatcher(gaz))
    assert [m.text for m in rec.recognize([text])[0]] == ["Paris"]


def test_names_that_share_one_state_with_a_county_make_the_focus(monkeypatch):
    """No name of "Lamar County … Paris … Reno" has one reading, so no state has anchors; but
    only Texas holds a reading of all three, and a county named in full says the story is
    local: Texas is the focus, and its small towns are recognised."""
    import geoarena.nlp.recognition_focus as rf
    from geoarena.nlp.gazetteer import NameMatch, Place

    def towns(kind, *states):
        return [Place(f"{kind}:{s}", s, kind, 30.0, -95.0, "US", s, 1000) for s in states]

    table = {
        "Lamar County": towns("admin2", "TX", "MS", "GA", "AL"),
        "Paris": towns("city", "TX", "TN", "KY", "IL"),
        "Reno": towns("city", "NV", "TX", "OH"),
        "Jackson": towns("city", "MS", "TN", "OH"),
        "Clinton": towns("city", "MS", "TN"),
        # a state's name, and its namesake hamlet in another state
        "Oklahoma": [
            Place("admin1:US.OK", "Oklahoma", "admin1", 35.6, -97.7, "US", "OK", 3_000_000),
            *towns("city", "MS"),
        ],
    }
    monkeypatch.setattr(
        rf,
        "generate_candidates",
        lambda gaz, name, n, **kw: [NameMatch(p, True) for p in table.get(name, [])],
    )

    def focus(*names):
        return rf.focus_admin1(None, [Mention(0, len(n), n) for n in names])

    assert focus("Lamar County", "Paris", "Reno") == {"US.TX"}
    assert focus("Lamar County", "Paris", "Paris", "Reno") == {"US.TX"}  # names count once
    assert focus("Paris", "Reno", "Jackson") == set()  # no county: world or sports news
    assert focus("Lamar County", "Paris") == set()  # two names are not enough
    # a tie makes no focus: Texas, Mississippi and Tennessee hold three names each
    assert focus("Lamar County", "Paris", "Reno", "Jackson", "Clinton") == set()
    # "Oklahoma" names the state: its hamlet does not make Mississippi the third name
    assert focus("Lamar County", "Clinton", "Oklahoma") == set()
    assert focus("Lamar County", "Clinton", "Jackson") == {"US.MS"}


def test_a_local_papers_home_state_is_an_anchor(gaz):
    """One anchor (Clendenin) makes no focus; in a paper published in Charleston, West
    Virginia, the home state is a second anchor, and Elkview is recognised and resolved."""
    from geoarena.nlp.geoparser import Geoparser
    from geoarena.nlp.recognition import CombinedRecognizer

    text = "Flooding closed roads near Clendenin on Monday; Elkview residents were evacuated."
    kept = [_at(text, "Clendenin", "GPE")]
    assert focus_admin1(gaz, kept) == set() and _rescue(gaz, text, kept) == []
    assert focus_admin1(gaz, kept, home="US.WV") == {"US.WV"}
    assert focus_admin1(gaz, kept, home="US.TX") == set()  # another state's paper
    matcher = GazetteerMatcher(gaz)
    rec = CombinedRecognizer(
        _FixedNER(kept), matcher, focus=FocusRescue(gaz, matcher.plausible_word)
    )
    parser = Geoparser(gazetteer=gaz, recognizer=rec)
    assert [r.mention.text for r in parser.parse(text)] == ["Clendenin"]
    local = parser.parse(text, publication_place="Charleston, West Virginia")
    assert [(r.mention.text, r.place.key) for r in local] == [
        ("Clendenin", "gn:4802316"),
        ("Elkview", "gn:4803217"),
    ]
    long = list(parser.parse_long(text, publication_place="Charleston, West Virginia"))
    assert [r.mention.text for r in long] == ["Clendenin", "Elkview"]


def test_a_local_papers_towns_after_a_place_cue_need_no_second_anchor(gaz):
    """An obituary in a Texas paper names its towns after "of" and nothing else in Texas: with
    the home state as the only anchor, a town is read after a place cue ("of Copperas Cove"),
    not elsewhere ("against Copperas Cove", "Meanwhile, Copperas Cove") and not when it is an
    English word ("of Temple")."""
    text = (
        "Survivors include sons, Bill Doe of Copperas Cove and Tom Doe of Temple. "
        "The game against Copperas Cove ended late. Meanwhile, Copperas Cove said no."
    )
    persons = [
        _at(text, "Bill Doe", "PERSON", "ner-other"),
        _at(text, "Tom Doe", "PERSON", "ner-other"),
    ]
    matcher = GazetteerMatcher(gaz)
    rescue = FocusRescue(gaz, matcher.plausible_word)

    def found(home):
        got = rescue.rescue(text, [], persons, list(matcher.phrases(text)), home)
        return [(m.text, m.start) for m in got]

    assert found("") == []  # no publication place, no anchor
    assert found("US.TX") == [("Copperas Cove", text.index("Copperas Cove"))]
    assert found("US.WV") == []  # another state's paper


def test_a_longer_place_replaces_the_ner_fragments_inside_it(gaz):
    """The small model cuts capitalised datelines ("ST" of "ST. LOUIS") and stops short of a
    city's whole name ("Kansas" of "Kansas City"); the gazetteer's longer place wins, while a
    span the model got whole stays the model's."""
    from geoarena.nlp.recognition import _CAP_SEQ, CombinedRecognizer

    text = "ST. LOUIS (AP) -- Officials from Kansas City met in Paris."
    seqs = [m.group(0) for m in _CAP_SEQ.finditer(text)]
    assert "ST. LOUIS" in seqs and "Bast" in [m.group(0) for m in _CAP_SEQ.finditer("Bast. Foo")]
    ner = [_at(text, "ST", "GPE"), _at(text, "Kansas", "GPE"), _at(text, "Paris", "GPE")]
    rec = CombinedRecognizer(_FixedNER(ner), GazetteerMatcher(gaz))
    got = rec.recognize([text])[0]
    assert [(m.text, m.source) for m in got] == [
        ("ST. LOUIS", "gazetteer"),
        ("Kansas City", "gazetteer"),
        ("Paris", "ner"),
    ]


def test_a_town_qualified_by_its_state_is_recognised_at_any_population(gaz):
    """ "Clendenin, W.Va." (1,187 people, below the matcher's 100,000) names the town the way a
    dateline or a local story does; a name that is no town of the state after it is not one."""
    matcher = GazetteerMatcher(gaz)
    text = "CLENDENIN, W.Va. -- Flooding hit Elkview, West Virginia, and Smith, Texas, said."
    got = [m.text for m in matcher.recognize([text])[0]]
    assert got == ["CLENDENIN", "W.Va.", "Elkview", "West Virginia", "Texas"]
    assert not matcher.qualified_town("Elkview, Texas", 0, 7)  # a West Virginia town


def test_a_county_with_one_reading_makes_the_focus_alone(gaz):
    """ "Kanawha County" has one reading: a story that names it is local to West Virginia, and
    Elkview is recognised; a county with readings in several states ("Lamar County") is no
    such anchor (the shared-names rule above decides there)."""
    text = "Kanawha County deputies said residents of Elkview were evacuated."
    county = [_at(text, "Kanawha County")]
    assert focus_admin1(gaz, county) == {"US.WV"}
    assert _rescue(gaz, text, county) == ["Elkview"]


def test_a_place_name_inside_an_institutions_name_is_not_a_place():
    """Schools, universities, hospitals and newspapers named after a place; a government body
    of the place and a school district stay places."""
    from geoarena.nlp.mention_filters import is_institution_name

    text = (
        "Jordan High School beat Ohio State University's team; the University of Georgia, "
        "Royal Free Hospital and The Washington Post said. The California Department of Public "
        "Health and the Paris School District met in Paris."
    )
    for name in ("Jordan", "Ohio", "Georgia", "Free", "Washington"):
        assert is_institution_name(text, _at(text, name)), name
    for name, occurrence in (("California", 0), ("Paris", 0), ("Paris", 1)):
        assert not is_institution_name(text, _at(text, name, occurrence=occurrence)), name
    # more newspapers' title words, right after the name: "Britain's Sun" is the country's paper
    papers = (
        "The Paris News, the Vancouver Sun and the Indianapolis Star agreed with Britain's Sun."
    )
    for name in ("Paris", "Vancouver", "Indianapolis"):
        assert is_institution_name(papers, _at(papers, name)), name
    assert not is_institution_name(papers, _at(papers, "Britain"))


def test_the_recogniser_drops_place_names_of_institutions(gaz):
    from geoarena.nlp.recognition import CombinedRecognizer

    text = "Jordan High School played in Paris, and the Houston Chronicle reported it."
    ner = [_at(text, "Jordan", "GPE"), _at(text, "Paris", "GPE"), _at(text, "Houston", "GPE")]
    rec = CombinedRecognizer(_FixedNER(ner), GazetteerMatcher(gaz))
    assert [m.text for m in rec.recognize([text])[0]] == ["Paris"]
