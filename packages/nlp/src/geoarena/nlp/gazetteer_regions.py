"""Region entries of the gazetteer: admin-1 families named by a shared stem once the compass /
position word is removed ("Darfur" from Northern / Southern … Darfur), compass counterparts
("South Darfur" ↔ "Southern Darfur"), and macro-regions (UN M49 groups of countries and
:data:`~geoarena.nlp.aliases.REGION_MEMBERS`) with the names they are indexed under."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from geoarena.nlp.aliases import REGION_ALIASES, REGION_MEMBERS
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
