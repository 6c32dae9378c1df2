"""Compass parts of countries and admin-1 areas ("North Texas", "Southern California"): which
cities make a part, where its point lies, which names it takes and how the resolver reads it."""

import numpy as np
import pytest

from geoarena.nlp.gazetteer_regions import compass_part_entries, compass_parts
from geoarena.nlp.gazetteer_schema import Place


def _grid() -> np.ndarray:
    """A 6 × 6 grid of cities (lat 30..35, lon -100..-95), one of them a metropolis."""
    rows = [(30.0 + i, -100.0 + j, 1000) for i in range(6) for j in range(6)]
    rows[0] = (30.0, -100.0, 5_000_000)
    return np.asarray(rows, dtype=np.float64)


def test_cardinal_parts_are_the_outer_thirds_and_diagonals_the_quadrants():
    parts = compass_parts(_grid())
    assert set(parts) == {
        "north",
        "south",
        "east",
        "west",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "central",
    }
    assert sorted(set(parts["north"][:, 0])) == [34.0, 35.0]
    assert sorted(set(parts["west"][:, 1])) == [-100.0, -99.0]
    ne = parts["northeast"]
    assert ne[:, 0].min() > 32.5 and ne[:, 1].min() > -97.5 and len(ne) == 9
    # the central third: the cities nearest to the median point (32.5, -97.5)
    assert len(parts["central"]) == 12
    c = parts["central"]
    assert np.abs(c[:, 0] - 32.5).max() <= 1.5 and np.abs(c[:, 1] + 97.5).max() <= 1.5


def test_a_part_with_too_few_cities_gets_no_entry_and_parts_span_the_antimeridian():
    # Fiji-like: longitudes 178°, 179.5° and -179° (east of 180°), three cities each
    lons = [178.0, 179.5, -179.0] * 3
    pts = np.asarray([(float(i), lon, 1) for i, lon in enumerate(lons)])
    parts = compass_parts(pts)
    assert sorted(parts["east"][:, 1]) == [-179.0] * 3
    assert sorted(parts["west"][:, 1]) == [178.0] * 3
    assert "northeast" not in parts  # two cities north and east of the median city
    assert len(parts["north"]) == 3


def test_entries_sit_at_the_unweighted_mean_and_leave_area_names_alone():
    texas = Place("admin1:US.TX", "Texas", "admin1", 31.0, -97.5, "US", "TX", 36_000)
    entries = {
        p.key: (p, forms) for p, _, forms in compass_part_entries([(texas, _grid())], set(), 0.1)
    }
    north, forms = entries["region:admin1:US.TX:north"]
    assert (north.name, north.kind, north.country_code, north.admin1_key) == (
        "Northern Texas",
        "region",
        "US",
        "US.TX",
    )
    assert forms == ["Northern Texas", "North Texas"]
    # the mean of the twelve northern cities, not pulled by the metropolis in the south-west
    assert (north.lat, north.lon) == pytest.approx((34.5, -97.5), abs=0.05)
    south, _ = entries["region:admin1:US.TX:south"]
    assert south.population == 5_000_000 + 11 * 1000
    assert south.lat == pytest.approx(30.5, abs=0.05)
    # a name an area already holds stays with it; an area named by a position word has no parts
    virginia = Place("admin1:US.VA", "Virginia", "admin1", 37.5, -78.8, "US", "VA")
    (west,) = [
        forms
        for p, _, forms in compass_part_entries([(virginia, _grid())], {"west virginia"}, 0.1)
        if p.key.endswith(":west")
    ]
    assert west == ["Western Virginia"]
    eastern = Place("admin1:SA.06", "Eastern Province", "admin1", 25.0, 49.5, "SA", "06")
    assert list(compass_part_entries([(eastern, _grid())], set(), 0.1)) == []


def test_the_gazetteer_indexes_parts_as_back_off_entries_the_resolver_reads(gaz):
    from geoarena.nlp.candidates import generate_candidates
    from geoarena.nlp.recognition import Mention
    from geoarena.nlp.resolution import ContextResolver

    # the fixture's Texas: Paris, Reno and Canadian are its northern third
    assert gaz.lookup("North Texas") == ()
    (m,) = gaz.lookup_backoff("North Texas")
    assert [x.place.key for x in gaz.lookup_backoff("Northern Texas")] == [m.place.key]
    p = m.place
    assert (p.key, p.admin1_key) == ("region:admin1:US.TX:north", "US.TX")
    assert (p.lat, p.lon) == pytest.approx(
        (np.mean([33.66094, 33.66, 35.91282]), np.mean([-95.55551, -95.47, -100.38208])), abs=0.05
    )
    assert [c.place.key for c in generate_candidates(gaz, "North Texas", 40)] == [p.key]
    # "West Virginia" is a state, not the west of Virginia
    assert all(x.place.kind == "admin1" for x in generate_candidates(gaz, "West Virginia", 40))
    text = "Storms hit North Texas on Monday."
    s = text.index("North Texas")
    (res,) = ContextResolver(gaz).resolve(text, [Mention(s, s + 11, "North Texas")])
    assert res.place.key == p.key
