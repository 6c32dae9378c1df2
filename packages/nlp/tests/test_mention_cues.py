"""Constructions that fix a name's kind (datelines, "a Peru man") and alternate names shadowed
by a town's own name: candidate generation and resolution on a hand-made gazetteer."""

import pytest
from nlp_handmade_gazetteer import (
    GAZ,
    SEATTLE,
    _Gaz,
    _place,
    _resolve,
    _span,
)

from geoarena.nlp.candidates import generate_candidates
from geoarena.nlp.gazetteer import NameMatch, Place
from geoarena.nlp.mention_cues import is_dateline, kind_cue, narrow_by_cue, stands_alone
from geoarena.nlp.recognition import Mention
from geoarena.nlp.resolution import ContextResolver


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("WASHINGTON — The Senate voted on Tuesday.", "WASHINGTON", True),
        ("NASHVILLE, Tenn. (AP) — Flooding closed roads.", "NASHVILLE", True),
        ("Flu season\n  LEBANON -- Wilson County officials said", "LEBANON", True),
        ("BAGHDAD, Iraq: A bomb exploded.", "BAGHDAD", True),
        ("NEW YORK (Reuters) - Stocks fell.", "NEW YORK", True),
        ("Washington — The Senate voted.", "Washington", False),  # not in capitals
        ("He flew to WASHINGTON — then home.", "WASHINGTON", False),  # not at a line's start
        ("WASHINGTON STATE UNIVERSITY won.", "WASHINGTON", False),  # no dash after it
    ],
)
def test_a_dateline_is_a_capitalised_name_opening_a_line_before_a_dash(text, name, expected):
    assert is_dateline(text, *_span(text, name)) is expected


def test_a_cue_narrows_the_readings_but_never_empties_them():
    class M:
        def __init__(self, kind, pop=200_000):
            self.place = _place("x:" + kind, kind, pop=pop)

    cands = [M("country"), M("admin1"), M("city")]
    text = "WASHINGTON — a Peru man said.\nNASHVILLE, Tenn. — More."
    bare, resident = [_span(text, "WASHINGTON")], [_span(text, "Peru")]
    qualified = [_span(text, "NASHVILLE")]
    assert kind_cue(text, *bare[0]) == "bare-dateline"
    assert kind_cue(text, *qualified[0]) == "dateline"
    assert kind_cue(text, *resident[0]) == "resident"
    assert [c.place.kind for c in narrow_by_cue(cands, bare, text)] == ["city"]
    assert [c.place.kind for c in narrow_by_cue(cands, resident, text)] == ["admin1", "city"]
    # the dateline wins over a resident modifier of the same name; no cue: every reading
    assert [c.place.kind for c in narrow_by_cue(cands, resident + bare, text)] == ["city"]
    assert narrow_by_cue(cands, [(0, 3)], "The sun.") == cands
    countries = [M("country")]
    assert narrow_by_cue(countries, bare, text) == countries  # nothing else to keep
    # a bare capitalised name before a dash names a major city or is a heading ("TEXAS —"):
    # a hamlet does not make it a city; with its state after it, any town does
    hamlet = [M("admin1", 22_000_000), M("city", 700)]
    assert narrow_by_cue(hamlet, bare, text) == hamlet
    assert [c.place.kind for c in narrow_by_cue(hamlet, qualified, text)] == ["city"]


def test_a_dateline_names_the_capital_and_not_the_state():
    assert _resolve("WASHINGTON — The Senate voted on Tuesday.", "WASHINGTON") == ["Washington:DC"]
    # without the dateline too: a bare "Washington" is the capital (focus.seat_namesakes)
    assert _resolve("The Senate in Washington voted on Tuesday.", "Washington") == ["Washington:DC"]


def test_a_peru_man_is_from_the_town_beside_the_story_not_the_country():
    text = "A Peru man was arrested in Kokomo on Tuesday."
    assert _resolve(text, "Peru", "Kokomo") == ["Peru:IN", "Kokomo:IN"]
    # one sense per discourse: a later "Peru" in the story is the same town
    text2 = "A Peru man was arrested in Kokomo. Peru police said he fled."
    ms = [Mention(*_span(text2, "Peru", k), "Peru") for k in (0, 1)]
    got = ContextResolver(GAZ).resolve(text2, [*ms, Mention(*_span(text2, "Kokomo"), "Kokomo")])
    assert [r.place.key for r in got] == ["Peru:IN", "Peru:IN", "Kokomo:IN"]
    assert _resolve("Peru's president visited Kokomo.", "Peru", "Kokomo")[0] == "Peru:PE"


def test_a_citys_alternate_name_gives_way_to_a_town_of_its_country_named_so():
    columbus = _place("Columbus:OH", "city", 39.96, -83.0, a1="OH", pop=913_175)
    franklin = _place("Franklin:TN", "city", 35.93, -86.87, a1="TN", pop=72_639)
    guangzhou = _place("Guangzhou:CN", "city", 23.12, 113.25, cc="CN", pop=16_096_724)
    canton = _place("Canton:OH", "city", 40.80, -81.38, a1="OH", pop=71_885)
    state_ny = _place("New York:NY", "admin1", 42.9, -75.5, a1="NY", pop=19_274_244)
    nyc = _place("New York City:NY", "city", 40.71, -74.01, a1="NY", pop=8_804_190)
    gaz = _Gaz(
        {
            "Franklin": [(columbus, False), (franklin, True)],
            "Canton": [(guangzhou, False), (canton, True)],
            "New York": [(state_ny, True), (nyc, False)],
        }
    )

    def keys(name):
        return [m.place.key for m in generate_candidates(gaz, name, 40)]

    assert keys("Franklin") == ["Franklin:TN"]  # Columbus's former name: the US town named so
    assert keys("Canton") == ["Guangzhou:CN", "Canton:OH"]  # another country's: both stay
    assert keys("New York") == ["New York:NY", "New York City:NY"]  # an area shadows nothing


def test_a_town_and_its_county_named_together_are_mates():
    """ "Paris and Lamar County": of four Lamar Counties and the Parises, the Texas pair lies
    together, so both get the county-mate value 1/n of the other name's readings; Paris,
    France gets none. A county name with many readings lends its towns little."""
    from geoarena.nlp.county_mates import county_mates

    paris_fr = Place("Paris:FR", "Paris", "city", 48.85, 2.35, "FR", "11", 2_138_551, None, True)
    paris_tx = _place("Paris:TX", "city", 33.66, -95.56, a1="TX", pop=24_782)
    paris_tn = _place("Paris:TN", "city", 36.30, -88.33, a1="TN", pop=10_150)
    lamar = [
        _place("Lamar:TX", "admin2", 33.73, -95.47, a1="TX"),
        _place("Lamar:MS", "admin2", 31.20, -89.51, a1="MS"),
        _place("Lamar:GA", "admin2", 33.08, -84.14, a1="GA"),
        _place("Lamar:AL", "admin2", 33.78, -88.10, a1="AL"),
    ]
    austin = _place("Austin:TX", "city", 30.27, -97.74, a1="TX", pop=974_447)
    got = county_mates([[paris_fr, paris_tx, paris_tn], lamar, [austin]])
    assert got[0].tolist() == [0.0, 0.25, 0.0]  # 1 / four Lamar Counties
    assert got[1].tolist() == [1 / 3, 0.0, 0.0, 0.0]  # 1 / three Paris towns, France's included
    assert got[2].tolist() == [0.0]  # Austin is 300 km from Lamar County, Texas
    # no county named: no mates; a county alone: none either
    assert [v.tolist() for v in county_mates([[paris_tx], [austin]])] == [[0.0], [0.0]]
    assert county_mates([lamar])[0].tolist() == [0.0] * 4

    gaz = _Gaz(
        {
            "Paris": [(paris_fr, True), (paris_tx, True), (paris_tn, True)],
            "Lamar County": [(p, True) for p in lamar],
            # two Austins: no name of the story is an anchor of its focus
            "Austin": [
                (austin, True),
                (_place("Austin:MN", "city", 43.67, -92.97, pop=24_563), True),
            ],
        }
    )
    text = "Residents of Paris and Lamar County met. Paris will seek help from Austin."
    ms = [Mention(*_span(text, n), n) for n in ("Paris", "Lamar County", "Austin")]
    got = [r.place.key for r in ContextResolver(gaz).resolve(text, ms)]
    assert got == ["Paris:TX", "Lamar:TX", "Austin:TX"]
    # without the feature, Paris, France's population pulls the name away from its county
    import dataclasses

    from geoarena.nlp.resolution import ContextWeights

    off = ContextResolver(gaz, dataclasses.replace(ContextWeights(), county_mate=0.0))
    assert off.resolve(text, ms)[0].place.key == "Paris:FR"


def test_a_metropolis_is_what_its_areas_name_means(monkeypatch):
    """ "Tokyo", "Buenos Aires": a city of a million or more that shares its name with an
    admin-1 area of its country (inside it, or beside it in a district of its own) is what the
    name means; a smaller capital ("Quebec") keeps both readings. A country's own name shadows
    a city found only under it as an alternate name ("Mexico" is no Mexico City)."""
    tokyo_pref = _place("Tokyo:pref", "admin1", 32.1, 139.7, cc="JP", a1="40", pop=13_960_000)
    tokyo = _place("Tokyo:city", "city", 35.69, 139.69, cc="JP", a1="40", pop=8_336_599)
    ba_prov = _place("BA:prov", "admin1", -36.7, -60.6, cc="AR", a1="01", pop=15_625_000)
    ba_city = _place("BA:city", "city", -34.61, -58.38, cc="AR", a1="07", pop=2_891_000)
    qc_prov = _place("Quebec:prov", "admin1", 52.0, -72.0, cc="CA", a1="10", pop=8_164_000)
    qc_city = _place("Quebec:city", "city", 46.81, -71.21, cc="CA", a1="10", pop=531_902)
    mexico = _place("Mexico:MX", "country", 23.0, -102.0, cc="MX", pop=126_190_788)
    cdmx = _place("Mexico City:MX", "city", 19.43, -99.13, cc="MX", a1="09", pop=12_294_193)
    gaz = _Gaz(
        {
            "Tokyo": [(tokyo_pref, True), (tokyo, True)],
            "Buenos Aires": [(ba_prov, True), (ba_city, True)],
            "Quebec": [(qc_prov, True), (qc_city, True)],
            "Mexico": [(mexico, True), (cdmx, False)],
        }
    )

    def keys(name):
        return [m.place.key for m in generate_candidates(gaz, name, 40)]

    assert keys("Tokyo") == ["Tokyo:city"]
    assert keys("Buenos Aires") == ["BA:city"]
    assert keys("Quebec") == ["Quebec:prov", "Quebec:city"]
    assert keys("Mexico") == ["Mexico:MX"]
    import geoarena.nlp.candidates as candidates

    monkeypatch.setattr(candidates, "METROPOLIS_POPULATION", 0)
    monkeypatch.setattr(candidates, "ALTERNATE_RULE", False)
    assert keys("Tokyo") == ["Tokyo:pref", "Tokyo:city"]
    assert keys("Mexico") == ["Mexico:MX", "Mexico City:MX"]


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("Officials in the state of Georgia said", "Georgia", "state-of"),
        ("the Commonwealth of Kentucky", "Kentucky", "state-of"),
        ("rain fell in Washington state on Monday", "Washington", "state-of"),
        ("The city of Columbia will vote", "Columbia", "city-of"),
        ("the town of Paris has 10,000 people", "Paris", "city-of"),
        ("the country of Georgia", "Georgia", "country-of"),
        ("Lebanon city council met Tuesday", "Lebanon", "city-of"),
        ("Lebanon City Hall closed", "Lebanon", "city-of"),
        ("Paris Police Department officers said", "Paris", "city-of"),
        ("Athens Mayor Nancy Denson said", "Athens", "city-of"),
        ("the mayor of Paris said", "Paris", "city-of"),
        ("Jordan police said", "Jordan", ""),  # a nation has police too
        ("the Whittier, Alaska police department", "Alaska", ""),  # the qualifier's town's
        ("Lebanon's city council met", "Lebanon", ""),  # a possessive is not a town's office
        ("Georgian President Mikheil Saakashvili said", "Georgian", "country-of"),
        ("Georgia's foreign minister said", "Georgia", "country-of"),
        ("the president of Georgia said", "Georgia", "country-of"),
        ("the president of Georgia Tech said", "Georgia", ""),  # an organisation's
        ("Russia's invasion of Georgia worried them", "Georgia", "country-of"),
        ("Russian troops moved deeper into Georgia on Monday", "Georgia", "country-of"),
        ("Guard troops drove to Georgia on Monday", "Georgia", ""),  # no army moving in
        ("the Georgia House adjourned", "Georgia", ""),
        ("Lawmakers in Washington passed what Congress wrote", "Washington", "federal-seat"),
        ("He flew to Washington. Congress met.", "Washington", ""),  # another sentence
        ("Congress heard agents in Spokane, Washington, on it", "Washington", ""),  # a qualifier
        ("Congress sent money to Washington and Oregon", "Washington", ""),  # a list
        ("federal funds for Washington schools", "Washington", ""),  # may be the state's
        ("the White House and Washington lobbyists", "Washington", ""),  # a list again
        ("the Bush administration in Washington said", "Washington", "federal-seat"),
        ("Congress let regulators seize Washington Mutual", "Washington", ""),  # a longer name
        ("a state of emergency in Texas", "Texas", ""),  # "of" does not precede the name
        ("Ohio State won", "Ohio", ""),  # a university's team, capitalised
        ("Washington state university", "Washington", ""),
        ("the University of Georgia", "Georgia", ""),
    ],
)
def test_a_kind_word_before_of_or_state_after_fixes_the_kind(text, name, expected):
    assert kind_cue(text, *_span(text, name)) == expected


def test_the_state_of_georgia_is_the_us_state_and_the_town_of_peru_a_town():
    assert _resolve("Officials in the state of Washington said.", "Washington") == ["Washington:WA"]
    assert _resolve("The city of Washington said.", "Washington") == ["Washington:DC"]
    # bare, the capital, unless the story names a place in the state or is published there
    assert _resolve("Rain fell across Washington on Monday.", "Washington") == ["Washington:DC"]
    text = "Rain fell across Washington on Monday; Seattle got two inches."
    assert _resolve(text, "Washington", "Seattle") == ["Washington:WA", "Seattle:WA"]
    text = "Rain fell across Washington on Monday."
    local = ContextResolver(GAZ).resolve(
        text, [Mention(*_span(text, "Washington"), "Washington")], SEATTLE
    )
    assert [r.place.key for r in local] == ["Washington:WA"]
    # in a list or as a qualifier the name is not bare: there the state is as likely
    text = "Cases were reported in Utah, Washington, Oregon and Idaho."
    assert stands_alone(text, *_span(text, "Washington")) is False
    text = "Talks negotiated by Washington, officials said, had stalled."
    assert stands_alone(text, *_span(text, "Washington")) is True  # a clause, not a list


def test_a_bare_new_york_is_the_city_unless_the_story_is_upstate():
    """The metropolis inside the state it is named like is the name's seat, as the capital is
    Washington's: a story anchored in the state far from the city keeps the state."""
    assert _resolve("Flights from New York were canceled.", "New York") == ["New York City:NY"]
    text = "Snow fell across New York; Buffalo got a foot."
    assert _resolve(text, "New York", "Buffalo") == ["New York:NY", "Buffalo:NY"]
    text = "Crowds filled New York; Brooklyn was quiet."  # the city's own borough
    assert _resolve(text, "New York", "Brooklyn") == ["New York City:NY", "Brooklyn:NY"]
    text = "He flew to Washington to lobby Congress."
    assert _resolve(text, "Washington") == ["Washington:DC"]
    assert _resolve("The town of Peru said.", "Peru")[0] in ("Peru:IN", "Peru:IL")
    # a town's offices after its name: the country had won on population and kind
    assert _resolve("The Peru city council met on Monday.", "Peru")[0] in ("Peru:IN", "Peru:IL")
    assert _resolve("The Peru delegation met on Monday.", "Peru") == ["Peru:PE"]


LONDON_GB = _place("London:GB", "city", 51.51, -0.13, cc="GB", a1="GB.ENG", pop=8_961_989)
LONDON_KY = _place("London:KY", "city", 37.13, -84.08, a1="KY", pop=8_126)
LYON = _place("Lyon:FR", "city", 45.75, 4.85, cc="FR", a1="FR.84", pop=522_969)
HOME_GAZ = _Gaz({"London": [(LONDON_GB, True), (LONDON_KY, True)], "Lyon": [(LYON, True)]})


def test_a_local_papers_own_town_is_what_its_name_means():
    def resolve(text, *names):
        ms = [Mention(*_span(text, n), n) for n in names]
        return [r.place.key for r in ContextResolver(HOME_GAZ).resolve(text, ms, LONDON_KY)]

    # population and the capital's prior outweighed the publication place's distance features
    assert resolve("Flu cases rose in London this week.", "London") == ["London:KY"]
    # the writer names the other one
    assert resolve("He flew to London, England, on Monday.", "London") == ["London:GB"]
    # a wire story from abroad: context decides, as without the rule
    assert resolve("Police in London and Lyon said.", "London", "Lyon") == ["London:GB", "Lyon:FR"]
    # no publication place: the prior
    text = "Flu cases rose in London this week."
    got = ContextResolver(HOME_GAZ).resolve(text, [Mention(*_span(text, "London"), "London")])
    assert [r.place.key for r in got] == ["London:GB"]


def test_a_nations_offices_make_a_demonym_the_countrys():
    """ "Georgian" names a citizen of Georgia or a resident of the US state; its president is
    the country's, whatever the publication place. A resident noun ("a Georgian man") narrows
    no demonym: either reading stays, and context decides."""
    georgia_ge = _place("Georgia:GE", "country", 42.0, 43.5, cc="GE", pop=3_704_500)
    georgia_us = _place("Georgia:GA", "admin1", 32.69, -83.42, a1="GA", pop=10_711_908)
    rome_ga = _place("Rome:GA", "city", 34.26, -85.16, a1="GA", pop=36_323)

    class Gaz(_Gaz):
        def lookup_demonym(self, name):
            return (NameMatch(georgia_ge, True),) if name == "Georgian" else ()

    gaz = Gaz({"Georgia": [(georgia_ge, True), (georgia_us, True)], "Rome": [(rome_ga, True)]})

    def resolve(text):
        ms = [Mention(*_span(text, "Georgian"), "Georgian")]
        return [r.place.key for r in ContextResolver(gaz).resolve(text, ms, rome_ga)]

    assert resolve("Georgian President Mikheil Saakashvili spoke.") == ["Georgia:GE"]
    assert resolve("Georgian lawmakers spoke.") == ["Georgia:GA"]  # the paper's state


def test_a_demonym_and_its_places_name_are_one_entity_not_each_others_context():
    """A Georgia paper's war story: "Georgia" and "Georgian" had each been the other's
    evidence for the US state (named elsewhere, near the other's choice); as one entity,
    "Russian" decides. A local story keeps the state."""
    georgia_ge = _place("Georgia:GE", "country", 42.0, 43.5, cc="GE", pop=3_704_500)
    # the populations the gazetteer holds (GeoNames)
    georgia_us = _place("Georgia:GA", "admin1", 32.69, -83.42, a1="GA", pop=4_835_606)
    russia = _place("Russia:RU", "country", 60.0, 100.0, cc="RU", pop=144_478_050)
    rome_ga = _place("Rome:GA", "city", 34.26, -85.16, a1="GA", pop=36_323)
    atlanta = _place("Atlanta:GA", "city", 33.75, -84.39, a1="GA", pop=510_823)
    demonyms = {"Georgian": georgia_ge, "Russian": russia}

    class Gaz(_Gaz):
        def lookup_demonym(self, name):
            return (NameMatch(demonyms[name], True),) if name in demonyms else ()

    gaz = Gaz({"Georgia": [(georgia_ge, True), (georgia_us, True)], "Atlanta": [(atlanta, True)]})

    def resolve(text, *names):
        ms = sorted((Mention(*_span(text, n), n) for n in names), key=lambda m: m.start)
        return {
            r.mention.text: r.place.key for r in ContextResolver(gaz).resolve(text, ms, rome_ga)
        }

    text = "Russian troops moved into Georgia, and Georgian forces retreated."
    got = resolve(text, "Russian", "Georgia", "Georgian")
    assert got == {"Russian": "Russia:RU", "Georgia": "Georgia:GE", "Georgian": "Georgia:GE"}
    text = "Georgian lawmakers met in Atlanta, and Georgia voted."
    got = resolve(text, "Georgian", "Atlanta", "Georgia")
    assert got["Georgia"] == got["Georgian"] == "Georgia:GA"
