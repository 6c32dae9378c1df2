import numpy as np
import pytest

from geoarena.core.errors import ConfigError
from geoarena.nlp.corpora import read_geovirus
from geoarena.nlp.evaluation import oracle_mentions, score_document, summarize
from geoarena.nlp.gazetteer import NameMatch, Place
from geoarena.nlp.recognition import Mention
from geoarena.nlp.resolution import (
    ContextResolver,
    LearnedRanker,
    PopulationResolver,
    generate_candidates,
)


def _mentions(text, *names):
    return [Mention(text.index(n), text.index(n) + len(n), n) for n in names]


def test_context_beats_population_on_paris_texas(gaz):
    text = "Flooding hit Paris in Texas on Monday; officials in Austin said."
    ms = _mentions(text, "Paris", "Texas", "Austin")
    pop = PopulationResolver(gaz).resolve(text, ms)
    ctx = ContextResolver(gaz).resolve(text, ms)
    assert pop[0].place.key == "gn:2988507"  # Paris, France: the most populous
    assert ctx[0].place.key == "gn:4717560"  # Paris, Texas: admin-1 context + spatial coherence
    assert ctx[1].place.key == "admin1:US.TX"
    assert 0.0 < ctx[0].score <= 1.0


def test_london_resolves_by_country_context(gaz):
    text = "In Ontario, Canada, the city of London closed schools."
    ctx = ContextResolver(gaz).resolve(text, _mentions(text, "Ontario", "Canada", "London"))
    assert ctx[2].place.key == "gn:6058560"
    text2 = "London and the rest of England closed schools."
    assert (
        ContextResolver(gaz).resolve(text2, _mentions(text2, "London"))[0].place.key == "gn:2643743"
    )


def test_one_sense_per_discourse_and_unknown_names(gaz):
    text = "Paris, Paris again, and Atlantis."
    ms = [Mention(0, 5, "Paris"), Mention(7, 12, "Paris"), Mention(24, 32, "Atlantis")]
    res = ContextResolver(gaz).resolve(text, ms)
    assert res[0].place.key == res[1].place.key
    assert res[2].place is None and res[2].n_candidates == 0


def test_oracle_scores_on_fixture_geovirus(gaz, fixtures):
    docs = read_geovirus(fixtures["geovirus"])
    scores = {}
    for name, r in (("pop", PopulationResolver(gaz)), ("ctx", ContextResolver(gaz))):
        s = summarize(
            [score_document(d, r.resolve(d.text, oracle_mentions(d)), gaz, False) for d in docs],
            n_boot=50,
        )
        scores[name] = s
    assert scores["ctx"]["acc161"] > scores["pop"]["acc161"]
    # doc 1: Paris TX ✓, Austin ✓; Texas ✗ (the centroid of 3 fixture cities is 361 km from the gold
    # 31, −100, outside their hull); United States ✗ (Factbook 38, −97 is 342 km from 40, −100) but
    # the gold point is inside the US polygon. doc 2: Paris, Lyon, France ✓; U.S. like United States.
    assert scores["ctx"]["acc161"] == pytest.approx(5 / 8)
    assert scores["ctx"]["acc161_polygon"] == pytest.approx(7 / 8)
    assert scores["pop"]["acc161"] == pytest.approx(4 / 8)  # Paris, Texas → Paris, France
    assert scores["ctx"]["rec_f1_exact"] == 1.0


def test_learned_ranker_trains_and_ranks(gaz, fixtures):
    docs = read_geovirus(fixtures["geovirus"]) * 6
    ranker = LearnedRanker(gaz, seed=0)
    info = ranker.fit(docs, n_estimators=20)
    assert info["groups"] >= 6
    d = docs[1]
    res = ranker.resolve(d.text, oracle_mentions(d))
    assert res[0].place.key == "gn:2988507"  # Paris with Lyon and France around it


class _TwoTableGaz:
    """Ordinary and back-off names only: what generate_candidates reads."""

    def __init__(self, ordinary, backoff):
        self.ordinary, self.backoff = ordinary, backoff

    @staticmethod
    def _get(table, name):
        return tuple(NameMatch(p, True) for p in table.get(name, ()))

    def lookup(self, name):
        return self._get(self.ordinary, name)

    def lookup_backoff(self, name):
        return self._get(self.backoff, name)

    def lookup_abbreviation(self, surface):
        return ()

    def lookup_demonym(self, name):
        return ()


def _place(key, kind, pop=0, cc="US", lat=0.0, lon=0.0):
    return Place(key, key, kind, lat, lon, cc, "", pop)


def test_backoff_modes_of_candidate_generation():
    scott_town = _place("gn:scott", "city", 9000, lat=30.2, lon=-92.1)
    scott_county = _place("admin2:US.IN.143", "admin2", lat=38.7, lon=-85.7)
    fife_town = _place("gn:fife", "city", 9970, lat=47.2, lon=-122.4)
    fife_area = _place("admin2:GB.SCT.fife", "admin2", cc="GB", lat=56.2, lon=-3.1)
    darfur = _place("region:SD:darfur", "region", 10)
    gaz = _TwoTableGaz(
        {"Scott": [scott_town], "Fife": [fife_town]},
        {
            "Scott County": [scott_county],
            "Scott": [scott_county],
            "Fife": [fife_area],
            "Darfur": [darfur],
        },
    )

    def keys(name, mode):
        return [m.place.key for m in generate_candidates(gaz, name, 40, backoff=mode)]

    # fallback (the rule before): the suffix variant "Scott" finds the town first
    assert keys("Scott County", "fallback") == ["gn:scott"]
    assert keys("Fife", "fallback") == ["gn:fife"]
    # suffix: the name as written is looked up in the back-off table before its variants
    assert keys("Scott County", "suffix") == ["admin2:US.IN.143"]
    assert keys("Fife", "suffix") == ["gn:fife"]
    # merge (default): back-off entries compete beside the ordinary ones of the same form,
    # after them when they have no population
    assert keys("Scott County", "merge") == ["admin2:US.IN.143"]
    assert keys("Fife", "merge") == ["gn:fife", "admin2:GB.SCT.fife"]
    assert [m.place.key for m in generate_candidates(gaz, "Fife", 40)] == keys("Fife", "merge")
    # merge leaves out an admin-2 area within SEAT_KM of an ordinary namesake of its country
    seat_town = Place("gn:la", "Los Angeles", "city", 34.05, -118.24, "US", "CA", 3_800_000)
    seat_county = Place("admin2:US.CA.037", "Los Angeles", "admin2", 34.3, -118.2, "US", "CA", 1)
    far_county = Place("admin2:US.XX.001", "Los Angeles", "admin2", 40.0, -100.0, "US", "XX")
    la = _TwoTableGaz({"Los Angeles": [seat_town]}, {"Los Angeles": [seat_county, far_county]})
    assert [m.place.key for m in generate_candidates(la, "Los Angeles", 40)] == [
        "gn:la",
        "admin2:US.XX.001",
    ]
    # a name known only as a back-off entry is found in every mode
    for mode in ("fallback", "suffix", "merge"):
        assert keys("Darfur", mode) == ["region:SD:darfur"]
        assert keys("Atlantis", mode) == []
    with pytest.raises(ConfigError, match="backoff"):
        generate_candidates(gaz, "Fife", 40, backoff="always")


def test_context_picks_a_backoff_area_over_a_namesake_town():
    """With ``merge`` an admin-2 area with no population can beat a namesake town of another
    country when the document is about the area's country; with ``fallback`` it is never a
    candidate."""

    def pl(key, kind, lat, lon, cc, pop, a1=""):
        return Place(key, key, kind, lat, lon, cc, a1, pop)

    uk = pl("country:GB", "country", 54.0, -2.0, "GB", 66_000_000)
    gaz = _TwoTableGaz(
        {
            "Fife": [pl("gn:fife-wa", "city", 47.24, -122.35, "US", 9970, "WA")],
            "Edinburgh": [pl("gn:edinburgh", "city", 55.95, -3.19, "GB", 500_000, "SCT")],
            "Glasgow": [pl("gn:glasgow", "city", 55.86, -4.25, "GB", 600_000, "SCT")],
            "Scotland": [pl("admin1:GB.SCT", "admin1", 56.5, -4.2, "GB", 5_000_000, "SCT")],
            "United Kingdom": [uk],
            "Britain": [uk],
        },
        {"Fife": [pl("admin2:GB.SCT.V9", "admin2", 56.2, -3.1, "GB", 0, "SCT")]},
    )
    text = "Fife, Edinburgh and Glasgow in Scotland, United Kingdom; Britain said."
    names = ("Fife", "Edinburgh", "Glasgow", "Scotland", "United Kingdom", "Britain")
    ms = _mentions(text, *names)
    assert ContextResolver(gaz).resolve(text, ms)[0].place.key == "admin2:GB.SCT.V9"
    fallback = ContextResolver(gaz, backoff="fallback").resolve(text, ms)
    assert fallback[0].place.key == "gn:fife-wa"


def test_bare_county_stem_is_the_town_of_its_country(gaz, monkeypatch):
    """An admin-2 area matched only by its stem ("Reno" for "Reno County", Kansas) is no
    candidate when a town of its country bears the name (Reno, Texas); the full name still finds
    the county, and an area with no namesake in its own country ("Fife") stays a candidate."""
    import geoarena.nlp.candidates as candidates

    town, county = "gn:4722668", "admin2:US.KS.155"
    text = "Officials in Paris, Texas, and Austin said nearby Reno will share the cost."
    ms = _mentions(text, "Paris", "Texas", "Austin", "Reno")
    assert [m.place.key for m in generate_candidates(gaz, "Reno", 40)] == [town]
    assert ContextResolver(gaz).resolve(text, ms)[3].place.key == town
    text2 = "Commissioners of Reno County met on Monday."
    ms2 = _mentions(text2, "Reno County")
    assert ContextResolver(gaz).resolve(text2, ms2)[0].place.key == county
    text3 = "Flooding hit Fife on Monday."
    assert {m.place.key for m in generate_candidates(gaz, "Fife", 40)} == {
        "admin2:GB.SCT.V9",
        "gn:5795011",
    }
    assert ContextResolver(gaz).resolve(text3, _mentions(text3, "Fife"))[0].place.key == (
        "admin2:GB.SCT.V9"
    )
    # without the rule the Kansas county is a candidate, and with no context its summed
    # population (41,889) beats the town
    text4 = "Reno will share the cost."
    assert ContextResolver(gaz).resolve(text4, _mentions(text4, "Reno"))[0].place.key == town
    monkeypatch.setattr(candidates, "STEM_RULE", False)
    assert [m.place.key for m in generate_candidates(gaz, "Reno", 40)] == [county, town]
    assert ContextResolver(gaz).resolve(text4, _mentions(text4, "Reno"))[0].place.key == county


def test_a_county_places_its_neighbours(gaz):
    """Spatial coherence reads counties as well as towns: "Kanawha County" (West Virginia)
    makes Charleston, West Virginia the closer candidate, where a county used to count for
    nothing (an area, like a country) and left both Charlestons at the same spread."""
    from geoarena.nlp.candidates import FEATURES
    from geoarena.nlp.coherence import _spread

    text = "Kanawha County deputies arrested a man in Charleston."
    ms = _mentions(text, "Kanawha County", "Charleston")
    resolver = ContextResolver(gaz)
    sets = resolver.features.sets(ms, text, None)
    county, town = sets
    assert [m.place.kind for m in county.candidates] == ["admin2"]
    _spread(sets, [0, 0])
    spread = {
        m.place.admin1_key: town.features[i, FEATURES.index("spread")]
        for i, m in enumerate(town.candidates)
    }
    # ~15 km from the county's centroid vs ~450 km: log1p(km) / log(20039)
    assert 0.2 < spread["US.WV"] < 0.35 and spread["US.SC"] > 0.6
    assert resolver.resolve(text, ms)[1].place.key == "gn:4801859"


def test_a_demonym_also_names_a_larger_namesake_state_and_context_decides():
    """ "Georgian" is a citizen of Georgia or a resident of the US state: the demonym gets both
    readings (the state is at least as populous as the country), is no longer an anchor for
    the country, and a Georgia (US) story resolves it to the state. Niger State, smaller than
    Niger, does not compete with "Nigerien"."""
    from geoarena.nlp.candidates import alias_candidates
    from geoarena.nlp.focus import anchor_place

    def place(key, kind, pop, cc, name):
        return Place(key, name, kind, 0.0, 0.0, cc, "", pop)

    ge = place("country:GE", "country", 3_700_000, "GE", "Georgia")
    ga = place("admin1:US.GA", "admin1", 10_700_000, "US", "Georgia")
    ne = place("country:NE", "country", 24_000_000, "NE", "Niger")
    ng = place("admin1:NG.31", "admin1", 5_500_000, "NG", "Niger")

    class Gaz(_TwoTableGaz):
        def lookup_demonym(self, name):
            return {"Georgian": (NameMatch(ge, True),), "Nigerien": (NameMatch(ne, True),)}.get(
                name, ()
            )

    gaz = Gaz({"Georgia": [ge, ga], "Niger": [ne, ng]}, {})
    georgian = alias_candidates(gaz, "Georgian")
    assert [m.place.key for m in georgian] == ["country:GE", "admin1:US.GA"]
    assert anchor_place(georgian, via_alias=True) is None  # two readings: no anchor
    nigerien = alias_candidates(gaz, "Nigerien")
    assert [m.place.key for m in nigerien] == ["country:NE"]
    assert anchor_place(nigerien, via_alias=True) == ne


def test_context_choices_are_refined_to_a_fixed_point(monkeypatch):
    """Spatial coherence is measured against the other names' current choices, so the resolver
    refines them until they hold: the population prior's Madison, Wisconsin and Athens, Georgia
    give way to the Alabama towns beside Decatur and Huntsville, and the loop stops there
    instead of running a fixed number of rounds."""
    import geoarena.nlp.resolution as resolution

    def town(key, lat, lon, a1, pop, cc="US"):
        return Place(key, key.split(":")[0], "city", lat, lon, cc, a1, pop)

    gaz = _TwoTableGaz(
        {
            "Athens": [
                town("Athens:GR", 37.98, 23.73, "ESYE31", 664_046, cc="GR"),
                town("Athens:GA", 33.96, -83.38, "GA", 127_315),
                town("Athens:AL", 34.80, -86.97, "AL", 25_406),
            ],
            "Decatur": [
                town("Decatur:IL", 39.84, -88.95, "IL", 73_254),
                town("Decatur:AL", 34.61, -86.98, "AL", 55_437),
            ],
            "Madison": [
                town("Madison:WI", 43.07, -89.40, "WI", 280_305),
                town("Madison:AL", 34.70, -86.75, "AL", 46_962),
            ],
            "Huntsville": [
                town("Huntsville:AL", 34.73, -86.59, "AL", 215_006),
                town("Huntsville:TX", 30.72, -95.55, "TX", 40_938),
            ],
        },
        {},
    )
    text = "Two Athens residents were honored; officials came from Decatur, Madison and Huntsville."
    ms = _mentions(text, "Athens", "Decatur", "Madison", "Huntsville")
    one_round = [r.place.key for r in ContextResolver(gaz, passes=1).resolve(text, ms)]
    assert one_round == ["Athens:GA", "Decatur:AL", "Madison:WI", "Huntsville:AL"]
    rounds = []
    spread = resolution._spread
    monkeypatch.setattr(resolution, "_spread", lambda sets, c: (rounds.append(c), spread(sets, c)))
    got = ContextResolver(gaz).resolve(text, ms)
    assert [r.place.key for r in got] == ["Athens:AL", "Decatur:AL", "Madison:AL", "Huntsville:AL"]
    # the last round's choices are the answer (a fixed point), reached well before the cap
    assert [
        s.candidates[c].place.key
        for s, c in zip(ContextResolver(gaz).features.sets(ms, text), rounds[-1])
    ] == [r.place.key for r in got]
    assert len(rounds) < ContextResolver(gaz).passes


def test_names_that_swap_back_and_forth_settle_where_they_hold_together(monkeypatch):
    """Moving every name at once, "Franklin" (two large namesakes, in Ohio and Texas, outweigh
    the Tennessee town) and "Williamson County" swap states every round: each moves next to
    where the other just was. The resolver sees the cycle, moves the names one at a time from
    each of its states and keeps the best joint choice: both in Tennessee, a state where
    neither name would rather be elsewhere. (The county-mate feature settles this pair by
    itself; it is off here to show the cycle.)"""
    import geoarena.nlp.resolution as resolution

    class Gaz(_TwoTableGaz):
        @staticmethod
        def _get(table, name):
            return tuple(NameMatch(p, main) for p, main in table.get(name, ()))

    def place(key, kind, lat, lon, a1, pop):
        return Place(key, key.split(":")[0], kind, lat, lon, "US", a1, pop)

    franklin = [
        (place("Franklin:OH", "city", 39.96, -83.00, "OH", 913_175), True),
        (place("Franklin:TX", "city", 31.76, -106.49, "TX", 678_815), True),
        (place("Franklin:TN", "city", 35.93, -86.87, "TN", 72_639), True),
    ]
    williamson = [
        (place("Williamson:TX", "admin2", 30.66, -97.66, "TX", 400_653), True),
        (place("Williamson:TN", "admin2", 35.94, -86.89, "TN", 164_752), True),
        (place("Williamson:IL", "admin2", 37.78, -89.00, "IL", 43_822), True),
    ]
    gaz = Gaz({"Franklin": franklin, "Williamson County": williamson}, {})
    text = "Authorities in Franklin said the Williamson County schools would close early."
    ms = _mentions(text, "Franklin", "Williamson County")
    cycles = []
    settle = resolution.ContextResolver._settle
    monkeypatch.setattr(
        resolution.ContextResolver,
        "_settle",
        lambda self, sets, w, cycle: (cycles.append(cycle), settle(self, sets, w, cycle))[1],
    )
    import dataclasses

    from geoarena.nlp.resolution import ContextWeights

    resolver = ContextResolver(gaz, dataclasses.replace(ContextWeights(), county_mate=0.0))
    got = [r.place.key for r in resolver.resolve(text, ms)]
    assert got == ["Franklin:TN", "Williamson:TN"]
    assert len(cycles) == 1 and len(cycles[0]) == 2  # two states, swapped every round
    assert [2, 1] not in cycles[0]  # the answer is no state of the cycle itself
    # the answer holds: given the other's choice, neither name prefers another candidate
    sets = resolver.features.sets(ms, text)
    scores = resolver.scores(sets)
    assert [int(np.argmax(s)) for s in scores] == [2, 1]


def test_a_country_name_with_a_town_beside_the_surer_anchors_is_no_anchor():
    """ "LEBANON — Wilson County commissioners … Mount Juliet": Mount Juliet (one reading) puts
    the story in Tennessee, where a Lebanon lies, so "Lebanon" is no anchor for the country;
    without such an anchor, or with one in another state, it still is. The publication place
    counts as a surer anchor."""
    from geoarena.nlp.focus import document_anchors

    def place(key, kind, cc, a1, name):
        return Place(key, name, kind, 0.0, 0.0, cc, a1, 1000)

    lb = place("country:LB", "country", "LB", "", "Lebanon")
    lebanon_tn = place("gn:4636045", "city", "US", "TN", "Lebanon")
    lebanon_pa = place("gn:5197079", "city", "US", "PA", "Lebanon")
    juliet = place("gn:4645421", "city", "US", "TN", "Mount Juliet")
    erie = place("gn:5188843", "city", "US", "PA", "Erie")
    lebanon = [NameMatch(p, True) for p in (lb, lebanon_tn, lebanon_pa)]

    def anchors(*names, publication=None):
        return document_anchors(list(names), [False] * len(names), publication)

    assert anchors(lebanon, [NameMatch(juliet, True)]) == [None, juliet]
    assert anchors(lebanon) == [lb]
    tx = place("gn:4717560", "city", "US", "TX", "Paris")
    assert anchors(lebanon, [NameMatch(tx, True)]) == [lb, tx]
    assert anchors(lebanon, publication=erie) == [None]
    # a surer anchor (one reading) is never dropped
    assert anchors([NameMatch(lebanon_tn, True)], [NameMatch(juliet, True)]) == [lebanon_tn, juliet]
