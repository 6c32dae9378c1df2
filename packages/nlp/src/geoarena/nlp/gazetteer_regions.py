"""Region entries of the gazetteer: admin-1 families named by a shared stem once the compass /
position word is removed ("Darfur" from Northern / Southern … Darfur), compass counterparts
("South Darfur" ↔ "Southern Darfur"), compass parts of a country or admin-1 area ("Southern
California", "North Texas", "Eastern Ukraine") and macro-regions (UN M49 groups of countries
and :data:`~geoarena.nlp.aliases.REGION_MEMBERS`) with the names they are indexed under."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from geoarena.nlp.aliases import REGION_ALIASES, REGION_MEMBERS
from geoarena.nlp.gazetteer_schema import Place
from geoarena.nlp.gazetteer_sources import _countryinfo_rows
from geoarena.nlp.normalize import normalize_name

#: compass / position words that tell the members of an admin-1 family apart
POSITION_WORD = (
    r"(?:(?:north|south)(?:[- ]?(?:east|west))?(?:ern)?|east(?:ern)?|west(?:ern)?"
    r"|central|upper|lower|middle)"
)
_POSITION_PREFIX = re.compile(rf"^{POSITION_WORD}\s+(?P<stem>.+)$", re.IGNORECASE)
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


#: US Census Bureau regions and divisions ("Census Regions and Divisions of the United
#: States") that news names, by member states' postal codes, with their other names. The
#: South and the West, the other two regions, are left out: alone those words name too much
#: else ("the West", "South" for South Korea).
US_CENSUS_REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Midwest": (
        ("IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"),
        ("Middle West", "Midwestern United States"),
    ),
    "Northeast": (
        ("CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"),
        ("Northeastern United States",),
    ),
    "New England": (("CT", "ME", "MA", "NH", "RI", "VT"), ()),
    "Mid-Atlantic": (("NJ", "NY", "PA"), ("Middle Atlantic",)),
}


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
    if len(stem) < 3 or re.fullmatch(POSITION_WORD, stem, re.IGNORECASE):
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


#: the compass parts of an area and the words news writes before the area's name for each
#: ("Southern California", "North Texas", "Middle Tennessee"); the first names the part
COMPASS_PARTS: dict[str, tuple[str, ...]] = {
    "north": ("Northern", "North"),
    "south": ("Southern", "South"),
    "east": ("Eastern", "East"),
    "west": ("Western", "West"),
    "northeast": ("Northeastern", "Northeast", "North East", "North Eastern"),
    "northwest": ("Northwestern", "Northwest", "North West", "North Western"),
    "southeast": ("Southeastern", "Southeast", "South East", "South Eastern"),
    "southwest": ("Southwestern", "Southwest", "South West", "South Western"),
    "central": ("Central", "Middle"),
}
#: a part with fewer member cities than this gets no entry
MIN_PART_CITIES = 3


def compass_parts(points: np.ndarray) -> dict[str, np.ndarray]:
    """The rows of ``points`` (an area's member cities: lat, lon, population) in each compass
    part of the area, split by the cities' own positions: the northern part holds the third
    of the cities farthest north (so "West Texas" is El Paso to Abilene, not everything west
    of Dallas), a north-eastern part the cities both north and east of the median city, the
    central part the third of the cities nearest to the median point. Parts with fewer than
    :data:`MIN_PART_CITIES` are left out."""
    lat = points[:, 0]
    lon = points[0, 1] + (points[:, 1] - points[0, 1] + 180.0) % 360.0 - 180.0  # across ±180°
    x = lon * np.cos(np.radians(np.median(lat)))
    (s3, n3), (w3, e3) = np.quantile(lat, [1 / 3, 2 / 3]), np.quantile(x, [1 / 3, 2 / 3])
    lat0, x0 = np.median(lat), np.median(x)
    masks = {"north": lat > n3, "south": lat < s3, "east": x > e3, "west": x < w3}
    for ns, north in (("north", lat > lat0), ("south", lat < lat0)):
        for ew, east in (("east", x > x0), ("west", x < x0)):
            masks[ns + ew] = north & east
    dist = np.hypot(lat - lat0, x - x0)
    masks["central"] = dist <= np.quantile(dist, 1 / 3)
    return {part: points[m] for part, m in masks.items() if int(m.sum()) >= MIN_PART_CITIES}


def compass_part_entries(
    wholes: Iterable[tuple[Place, np.ndarray]], reserved: set[str], buffer_deg: float
) -> Iterator[tuple[Place, bytes, list[str]]]:
    """``(place, area WKB, names)`` of every compass part (:func:`compass_parts`) of the given
    areas (a country or an admin-1 area with its member cities). A part is an entry of kind
    ``region`` inside the area's country (and admin-1 area) at the mean of its cities' points,
    unweighted (a metropolis at the part's edge, Houston for "East Texas", would pull a
    population-weighted point out of it), with their buffered convex hull as its area and
    their summed population. Its names are the compass words before the area's name; a name in ``reserved``
    (normalised: the areas' own names, "North Carolina", "Northern Ireland", "West Java")
    stays with its own entry, and an area named by a position word alone ("Eastern
    Province") has no parts."""
    import shapely
    from shapely.geometry import MultiPoint

    from geoarena.nlp.place_points import spherical_mean

    for whole, points in wholes:
        if re.fullmatch(POSITION_WORD, _strip_type(whole.name), re.IGNORECASE):
            continue
        for part, pts in compass_parts(points).items():
            forms = [f"{word} {whole.name}" for word in COMPASS_PARTS[part]]
            forms = [f for f in forms if normalize_name(f) not in reserved]
            if not forms:
                continue
            lat, lon = spherical_mean([(a, b) for a, b in pts[:, :2]])
            hull = MultiPoint(pts[:, [1, 0]]).convex_hull
            place = Place(
                f"region:{whole.key}:{part}",
                f"{COMPASS_PARTS[part][0]} {whole.name}",
                "region",
                lat,
                lon,
                whole.country_code,
                whole.admin1_code,
                int(pts[:, 2].sum()),
            )
            yield place, shapely.to_wkb(hull.buffer(buffer_deg)), forms
