"""Where news writes a town (the town slots: "in Kokomo", "from Carthage and Watertown", "a
Peru man") and names listed before their areas' word ("DeKalb and Cobb counties"), on the
hand-made gazetteer of ``data/handmade_gazetteer.py``."""

import pytest
from nlp_handmade_gazetteer import AREA_GAZ, _AreaGaz, _place, _span

from geoarena.nlp.recognition import Mention
from geoarena.nlp.resolution import ContextResolver
from geoarena.nlp.town_slots import is_resident_modifier


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("A Peru man was arrested in Kokomo.", "Peru", True),
        ("Police said the Lebanon woman, 34, was hurt.", "Lebanon", True),
        ("an Athens couple won the lottery", "Athens", True),
        ("Peru man arrested", "Peru", False),  # no article: a headline, not the construction
        ("a Peru-based firm", "Peru", False),
        ("in Peru many men work", "Peru", False),
        ("a Peru manufacturer", "Peru", False),  # a whole word for a person only
    ],
)
def test_a_resident_modifier_stands_between_an_article_and_a_person(text, name, expected):
    assert is_resident_modifier(text, *_span(text, name)) is expected


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("Officials of DeKalb and Cobb counties met.", "DeKalb", "County"),
        ("Officials of DeKalb and Cobb counties met.", "Cobb", "County"),
        ("in Orleans, Jefferson and St. Bernard parishes", "Orleans", "Parish"),
        ("in Orleans, Jefferson and St. Bernard parishes", "St. Bernard", "Parish"),
        ("The Cobb and Gwinnett county school systems", "Cobb", "County"),
        ("the Cobb County jail", "Cobb", "County"),  # a recogniser that kept only "Cobb"
        ("Leaders of Franklin and Williamson County agreed.", "Franklin", ""),  # a town, a county
        ("Leaders of Franklin and Williamson agreed.", "Franklin", ""),
        ("He moved to Cobb in counties far away", "Cobb", ""),
    ],
)
def test_a_name_listed_before_its_areas_plural_names_an_area(text, name, expected):
    from geoarena.nlp.mention_cues import listed_area

    assert listed_area(text, [_span(text, name)])[0] == expected


def test_counties_listed_before_their_plural_are_counties_of_the_story():
    text = "The Fulton County board met in Atlanta. Officials of DeKalb and Cobb counties came."
    ms = [Mention(*_span(text, n), n) for n in ("Fulton County", "Atlanta", "DeKalb", "Cobb")]
    got = [r.place.key for r in ContextResolver(AREA_GAZ).resolve(text, ms)]
    # without the construction: DeKalb, Illinois and the hamlet of Cobb, California
    assert got == ["Fulton County:GA", "Atlanta:GA", "DeKalb County:GA", "Cobb County:GA"]


def test_a_state_before_counties_stays_the_state_unless_a_county_is_listed_beside_it():
    text = "Drought hit 12 Texas counties."
    ms = [Mention(*_span(text, "Texas"), "Texas")]
    assert [r.place.key for r in ContextResolver(AREA_GAZ).resolve(text, ms)] == ["Texas:TX"]
    text = "Officials of Washington and Greene counties met."
    ms = [Mention(*_span(text, n), n) for n in ("Washington", "Greene")]
    got = [r.place.key for r in ContextResolver(AREA_GAZ).resolve(text, ms)]
    assert got == ["Washington County:PA", "Greene County:PA"]


def test_the_gazetteer_matcher_finds_the_members_of_an_area_list():
    from geoarena.nlp.recognition import GazetteerMatcher

    text = "Officials of Washington and Greene counties met. The Greene County jail is full."
    found = [(m.text, m.start) for m in GazetteerMatcher(AREA_GAZ).recognize([text])[0]]
    # "Greene" alone is known only as a county: found in the list, not before "County"
    assert ("Greene", text.index("Greene")) in found
    assert ("Greene", text.rindex("Greene")) not in found


def test_a_legislators_party_tag_names_a_home_town_or_state():
    from geoarena.nlp.mention_cues import party_homes

    text = (
        "Rep. Marsha Blackburn, R-Brentwood, and Sen. Lamar Alexander (R-Tenn.) met Rep. "
        "Steve Cohen, D-Memphis; Sen. Dianne Feinstein, D-Calif., and Sen. Bernie Sanders "
        "(I-Vt.) did not. The R-rated film and a T-Mobile store in Brentwood opened."
    )
    assert [text[s:e] for s, e in party_homes(text)] == [
        "Brentwood",
        "Tenn.",
        "Memphis",
        "Calif.",
        "Vt.",
    ]


def test_the_gazetteer_matcher_finds_a_legislators_home():
    from geoarena.nlp.recognition import GazetteerMatcher

    brentwood = _place("Brentwood:TN", "city", 36.03, -86.78, a1="TN", pop=42_783)
    gaz = _AreaGaz({"Brentwood": [(brentwood, True)]}, {})
    text = "Rep. Marsha Blackburn, R-Brentwood, said no. Rep. Jane Doe, R-Nowhere, agreed."
    found = [(m.text, m.start) for m in GazetteerMatcher(gaz).recognize([text])[0]]
    # a town of 42,783 is found only in the tag (the matcher's threshold is 100,000)
    assert found == [("Brentwood", text.index("Brentwood"))]


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("arrested in Kokomo on Tuesday", "Kokomo", True),
        ("Smith, a resident of Clinton, was charged", "Clinton", True),
        ("two residents of Clinton were hurt", "Clinton", True),
        ("the victim, a native of Dyersburg, lived", "Dyersburg", True),
        ("a friend of Clinton said", "Clinton", False),  # "of" alone: a person, often
        ("a resident of Clinton Township", "Clinton", False),  # a longer name follows
    ],
)
def test_a_town_slot_follows_a_preposition_of_place_or_resident_of(text, name, expected):
    from geoarena.nlp.town_slots import is_town_slot

    assert is_town_slot(text, *_span(text, name)) is expected


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("Students from Carthage and Watertown will attend.", "Watertown", "listed"),
        ("Teams from Commerce, Jefferson and Madison play.", "Jefferson", "listed"),
        ("Teams from Commerce, Jefferson and Madison play.", "Madison", "listed"),
        ("Teams from Commerce, Jefferson and Madison play.", "Commerce", "locative"),
        # a comma alone may open a clause, not a list
        ("Meanwhile, in Los Angeles, Dole said so.", "Dole", ""),
        ("At Skeleton Canyon in Arizona, Geronimo, Apache chief and leader", "Geronimo", ""),
        ("He met Smith and Jones.", "Jones", ""),  # no preposition of place
        ("from Carthage and Watertown Township", "Watertown", ""),  # a longer name
    ],
)
def test_a_lists_later_members_share_its_preposition_of_place(text, name, expected):
    from geoarena.nlp.town_slots import town_slot

    assert town_slot(text, *_span(text, name)) == expected
