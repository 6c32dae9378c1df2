"""What the words around a mention say about the kind of place it names.

News writes two constructions whose form, not their content, fixes a name's kind:

* a **dateline** — the place a story was filed from, in capitals at the start of a line before
  a dash ("WASHINGTON (AP) —", "LEBANON, Tenn. —") — names a city: a wire never files from a
  state or a country, so "WASHINGTON" is the capital and not the state;
* a **resident modifier** — a place name between an article and a word for a person ("a Peru
  man", "the Lebanon woman") — names a town or an area of its country, not a country: a
  country's people are written with its demonym ("a Peruvian man");
* an **area list** — names before their areas' generic word ("DeKalb and Cobb counties",
  "Orleans, Jefferson and St. Bernard parishes") — names those areas: each member is read as
  "<name> County" (:func:`listed_area`).

:func:`kind_cue` reads the first two from the text alone; candidate generation keeps the kinds
a cue allows when the name has any (:func:`narrow_by_cue`), and takes a listed name's areas
(:func:`apply_cues`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from geoarena.nlp.town_slots import LONGER_NAME as _LONGER_NAME
from geoarena.nlp.town_slots import is_resident_modifier

T = TypeVar("T")

#: after a dateline's name: an optional state or country (", Tenn.", ", Ga.", ", Iraq"), an
#: optional agency in brackets ("(AP)", "(Reuters)"), then the dash or colon that ends it
_DATELINE_TAIL = re.compile(
    r"(,\s*[A-Z][A-Za-z.]*(?:\s[A-Z][A-Za-z.]*)?)?"
    r"\s*(?:\([A-Za-z][A-Za-z .-]{0,24}\)\s*)?(?:—|–|--?|:)\s"
)
#: a dateline without its state or country stands alone only for a major city (AP style:
#: "WASHINGTON", "CHICAGO", "PARIS"); a bare capitalised name before a dash with no city this
#: large is a section heading ("TEXAS —", "GEORGIA:") and narrows nothing. The gazetteer
#: matcher's city threshold.
BARE_DATELINE_MIN_POPULATION = 100_000
#: words that name an admin-2 area when they end a phrase ("Greene County")
ADMIN2_WORDS = (" County", " Parish", " Borough")
#: a kind word before "of" and the name → its cue: "the state of Georgia", "the city of
#: Columbia", "the town of Paris", "the country of Georgia"; or "state" after it: "Washington
#: state"
_KIND_WORD = {
    "state": "state-of",
    "commonwealth": "state-of",
    "city": "city-of",
    "town": "city-of",
    "village": "city-of",
    "township": "city-of",
    "country": "country-of",
    "nation": "country-of",
    "mayor": "city-of",
    "president": "country-of",
    "embassy": "country-of",
    "invasion": "country-of",  # "Russia's invasion of Georgia": no state is invaded
}
_OFFICES = ("mayor", "president", "embassy")
_KIND_OF_BEFORE = re.compile(rf"\b({'|'.join(_KIND_WORD)})\s+of\s+$", re.I)
#: an army moving in: "Russian troops moved deeper into Georgia", "tanks rolled into Georgia"
_INVADED = re.compile(r"\b(?:troops|tanks|forces|soldiers|army)\s+(?:\w+\s+){0,3}into\s+$", re.I)
_STATE_AFTER = re.compile(r"\s+state\b(?!\s+(?:of|department|university|college))")
#: a municipality's offices after its name ("Lebanon city council", "Paris Police Department",
#: "Athens Mayor Nancy Denson"): no country or state has them, so the name is a town's
_CITY_AFTER = re.compile(
    r"\s+(?:city\s+(?:council|commission|hall|manager|limits|officials|schools|clerk|attorney)"
    r"|mayor|(?:police|fire)\s+(?:department|chief))\b",
    re.I,
)

#: a nation's offices after its name or demonym ("Georgian President Mikheil Saakashvili",
#: "Georgia's foreign minister", "the Lebanon embassy"): no US state or town has them
_COUNTRY_AFTER = re.compile(
    r"(?:'s)?\s+(?:president|prime minister|foreign minister|foreign ministry|embassy|ambassador"
    r"|parliament)\b",
    re.I,
)
#: the US federal government's own words: a bare name in their sentence ("lawmakers in
#: Washington approved the bailout Congress wrote") names its seat, not the state named the same
#: ("federal" alone is no cue: "federal funds for Washington schools" may be the state's)
_FEDERAL = re.compile(
    r"\b(?:Congress|congressional|Capitol Hill|White House|Pentagon|[Ff]ederal government"
    r"|(?:Obama|Bush|Clinton) administration)\b"
)
#: what makes a name one of a list or a qualifier ("Spokane, Washington", "Washington, Oregon
#: and Idaho"): there it is a state, whatever the sentence is about
_LISTED_BEFORE = re.compile(r"(?:,|\band|\bor)\s*$")


def _listed_before(text: str, start: int) -> bool:
    """A comma, "and" or "or" right before the span: a list's member or a qualifier."""
    return bool(_LISTED_BEFORE.search(text[max(0, start - 6) : start]))


_LISTED_AFTER = re.compile(r"\s*(?:,|and\b|or\b)")

#: cue → the candidate kinds it allows
ALLOWED = {
    "dateline": ("city",),
    "bare-dateline": ("city",),
    "resident": ("city", "admin1", "admin2", "region"),
    "state-of": ("admin1",),
    "city-of": ("city",),
    "country-of": ("country",),
    "federal-seat": ("city",),  # and a national capital of the US (narrow_by_cue)
}
#: which cue wins when a name's mentions carry several (one sense per discourse)
CUE_ORDER = (
    "dateline",
    "state-of",
    "country-of",
    "city-of",
    "bare-dateline",
    "resident",
    "federal-seat",
)


def dateline(text: str, start: int, end: int) -> str:
    """``qualified`` when the span ``text[start:end]`` opens a line, is written in capitals
    and is followed by its state or country and a dateline's end ("NASHVILLE, Tenn. (AP) —"),
    ``bare`` when it is followed by the end alone ("WASHINGTON —"), else ``""``."""
    name = text[start:end]
    if not any(c.isalpha() for c in name) or name != name.upper():
        return ""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        return ""
    tail = _DATELINE_TAIL.match(text, end)
    if tail is None:
        return ""
    return "qualified" if tail.group(1) else "bare"


def is_dateline(text: str, start: int, end: int) -> bool:
    """The span opens a dateline, with or without its state (see :func:`dateline`)."""
    return bool(dateline(text, start, end))


def kind_cue(text: str | None, start: int, end: int) -> str:
    """``dateline``, ``bare-dateline``, ``resident``, a kind word's cue (``state-of``:
    "the state of Georgia", "Washington state"; ``city-of``: "the town of Paris";
    ``country-of``: "the country of Georgia"; ``city-of`` too for a town's offices after it:
    "Lebanon city council", "the mayor of Paris") or ``""`` for the mention at ``start:end``."""
    if not text:
        return ""
    form = dateline(text, start, end)
    if form:
        return "dateline" if form == "qualified" else "bare-dateline"
    if is_resident_modifier(text, start, end):
        return "resident"
    kind = _KIND_OF_BEFORE.search(text[max(0, start - 20) : start])
    # an office's holder may head an organisation named after the place: "the president of
    # Georgia Tech" is no nation's
    if kind and not (kind.group(1).lower() in _OFFICES and _LONGER_NAME.match(text, end)):
        return _KIND_WORD.get(kind.group(1).lower(), "")
    if _INVADED.search(text[max(0, start - 60) : start]):
        return "country-of"
    if _STATE_AFTER.match(text, end):
        return "state-of"
    # an office after a qualifier or a list's last name is the whole phrase's: "the Whittier,
    # Alaska police department", "Lebanon and Mt. Juliet police"
    listed = _listed_before(text, start)
    if _CITY_AFTER.match(text, end) and not listed:
        return "city-of"
    if _COUNTRY_AFTER.match(text, end) and not listed:
        return "country-of"
    return "federal-seat" if is_federal_seat(text, start, end) else ""


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]`` (ends at ". ", "? ", "! " or a line break)."""
    a = max(text.rfind(p, 0, start) for p in (". ", "? ", "! ", "\n")) + 1
    b = min(
        (i for p in (". ", "? ", "! ", "\n") if (i := text.find(p, end)) >= 0), default=len(text)
    )
    return text[a:b]


#: a list going on after a name, or its qualifier: ", Oregon and Idaho", ", D.C.", " and Oregon"
#: (a comma before a lower-case word ends a clause: "negotiated by Washington, had threatened")
_LIST_GOES_ON = re.compile(r"(?:,\s*|\s+(?:and|or)\s+)[A-Z]")


def stands_alone(text: str, start: int, end: int) -> bool:
    """The name is no member of a list, no qualifier ("Spokane, Washington") and no part of a
    longer name ("Washington Mutual"), and no construction fixes its kind (:func:`kind_cue`)."""
    return not (
        _listed_before(text, start)
        or _LIST_GOES_ON.match(text, end)
        or _LONGER_NAME.match(text, end)
        or kind_cue(text, start, end)
    )


def is_federal_seat(text: str, start: int, end: int) -> bool:
    """The name stands alone in a sentence about the US federal government (:data:`_FEDERAL`):
    "the bailout lawmakers in Washington passed" names the capital; not in a list or as a
    qualifier ("Spokane, Washington"), nor inside a longer name. (A bare name is the capital
    in any sentence unless the story anchors it in the state:
    :func:`geoarena.nlp.focus.seat_namesakes`.)"""
    if _listed_before(text, start) or _LISTED_AFTER.match(text, end):
        return False
    if _LONGER_NAME.match(text, end):  # "federal regulators seized Washington Mutual"
        return False
    return bool(_FEDERAL.search(_sentence(text, start, end)))


def narrow_by_cue(
    candidates: list[T],
    spans: Sequence[tuple[int, int]],
    text: str | None,
    only: Sequence[str] = CUE_ORDER,
) -> list[T]:
    """The candidates (gazetteer matches with a ``place.kind``) of a name written at
    ``spans`` that its constructions allow: those of an allowed kind when there is one, else
    all — a cue narrows a name's readings, it never empties them. One sense per discourse: a
    name once written as a dateline names a city throughout the story (a major city when the
    dateline has no state: :data:`BARE_DATELINE_MIN_POPULATION`), and the dateline wins over a
    resident modifier. ``only``: the cues read (all by default)."""
    cues = {kind_cue(text, a, b) for a, b in spans}
    cue = next((c for c in CUE_ORDER if c in cues and c in only), "")
    if not cue:
        return candidates
    kept = [
        c
        for c in candidates
        if c.place.kind in ALLOWED[cue]
        and (cue != "bare-dateline" or c.place.population >= BARE_DATELINE_MIN_POPULATION)
        and (cue != "federal-seat" or (c.place.is_capital and c.place.country_code == "US"))
    ]
    return kept or candidates


#: a list of names before their areas' word — "DeKalb and Cobb counties", "Orleans, Jefferson
#: and St. Bernard parishes", "Cobb and Gwinnett county schools": each member names the area
#: "<name> County"; names are capitalised, the word may be either
_NAME = r"[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*){0,2}"
_LINK = r"(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)"
_AREA_LIST = re.compile(
    rf"({_NAME}(?:{_LINK}{_NAME})*)\s+((?i:counties|parishes|boroughs|county|parish|borough))\b"
)
_NAME_RE = re.compile(_NAME)
_SINGULAR = {"counties": "County", "parishes": "Parish", "boroughs": "Borough"}


@dataclass(frozen=True)
class AreaList:
    """Names listed before their areas' generic word: ``word`` ("County"), ``members`` (the
    spans of the names, a capitalised word before the first one included: "In DeKalb")."""

    word: str
    members: tuple[tuple[int, int], ...]


@lru_cache(maxsize=32)
def area_lists(text: str) -> tuple[AreaList, ...]:
    """Every list of names before an areas' word in ``text``. A capitalised singular after a
    list is none: "Franklin and Williamson County" names a town and a county."""
    out = []
    for m in _AREA_LIST.finditer(text):
        base, word = m.start(1), m.group(2)
        members = tuple((base + x.start(), base + x.end()) for x in _NAME_RE.finditer(m.group(1)))
        if word.lower() in _SINGULAR or word.islower() or len(members) == 1:
            out.append(AreaList(_SINGULAR.get(word.lower(), word.capitalize()), members))
    return tuple(out)


def listed_area(text: str | None, spans: Sequence[tuple[int, int]]) -> tuple[str, list[str]]:
    """The generic word ("County", "Parish", "Borough") and the other members' names when the
    name is written, at one of ``spans``, as a member of an area list (:func:`area_lists`:
    "DeKalb and Cobb counties", "Cobb County" where a recogniser kept only "Cobb"); else
    ``("", [])``."""
    for s, e in spans if text else ():
        for lst in area_lists(text):
            for a, b in lst.members:
                if b == e and a <= s:
                    return lst.word, [text[x:y] for x, y in lst.members if (x, y) != (a, b)]
    return "", []


def listed_area_candidates(
    candidates: list[T],
    name: str,
    listed: tuple[str, list[str]],
    lookup: Callable[[str], Sequence[T]],
    areas: Callable[[str], Sequence[T]],
) -> list[T]:
    """The admin-2 readings of "<name> <word>" ("DeKalb County") that ``areas`` (the
    gazetteer's area look-up) finds for a member of an area list (:func:`listed_area`), or
    ``candidates`` when there are none; ``lookup`` gives a name's ordinary candidates. A name that is a state or a
    country keeps its readings unless another member is neither: "Texas and Oklahoma counties"
    and "12 Texas counties" are counties *in* those states, while "Washington and Greene
    counties" are two counties."""
    word, others = listed
    if not word:
        return candidates

    def is_state(cands) -> bool:
        return any(c.place.kind in ("admin1", "country") for c in cands)

    if is_state(candidates) and all(is_state(lookup(o)) for o in others):
        return candidates
    found = [c for c in areas(f"{name} {word}") if c.place.kind == "admin2"]
    return found or candidates


def apply_cues(
    candidates: list[T],
    spans: Sequence[tuple[int, int]],
    text: str | None,
    name: str,
    lookup: Callable[[str], Sequence[T]],
    areas: Callable[[str], Sequence[T]],
    alias: str = "",
) -> list[T]:
    """The candidates of ``name``, written at ``spans``, that the constructions around it
    allow: the areas of an area list (:func:`listed_area_candidates`), then the kinds a
    dateline or resident modifier allows (:func:`narrow_by_cue`). An abbreviation names its
    state whatever surrounds it (``alias`` ``"abbrev"``), and a demonym (``"demonym"``) reads
    a nation's offices alone: "Georgian President" is a country's, "a Georgian man" either's."""
    if alias == "demonym":
        return narrow_by_cue(candidates, spans, text, ("country-of",))
    if alias:
        return candidates
    listed = listed_area(text, spans)
    found = listed_area_candidates(candidates, name, listed, lookup, areas)
    return narrow_by_cue(found, spans, text)


#: a legislator's party and home after the name, as US news writes it: "Rep. Marsha
#: Blackburn, R-Brentwood, said", "Sen. Lamar Alexander (R-Tenn.)": the home is a town or a
#: state (an abbreviation or its name)
_PARTY_HOME = re.compile(
    r"[,(]\s*[RDI]-([A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}|[A-Z][A-Za-z]*\.(?:\s?[A-Z][a-z]*\.)?)"
    r"(?=\s*[,);])"
)


def party_homes(text: str) -> list[tuple[int, int]]:
    """Spans of the homes in a legislator's party-and-home tag (see :data:`_PARTY_HOME`)."""
    return [m.span(1) for m in _PARTY_HOME.finditer(text)]
