"""What the words around a mention say about the kind of place it names.

News writes two constructions whose form, not their content, fixes a name's kind:

* a **dateline** — the place a story was filed from, in capitals at the start of a line before
  a dash ("WASHINGTON (AP) —", "LEBANON, Tenn. —") — names a city: a wire never files from a
  state or a country, so "WASHINGTON" is the capital and not the state;
* a **resident modifier** — a place name between an article and a word for a person ("a Peru
  man", "the Lebanon woman") — names a town or an area of its country, not a country: a
  country's people are written with its demonym ("a Peruvian man").

:func:`kind_cue` reads both from the text alone; candidate generation keeps the kinds a cue
allows when the name has any (:func:`narrow_by_cue`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

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
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an|the)\s+$", re.I)
#: words for a person or household that a local paper puts after a town's name
_RESIDENT_AFTER = re.compile(
    r"\s+(?:man|woman|men|women|boy|girl|boys|girls|teen|teens|teenager|youth|resident|"
    r"residents|couple|native|family|mother|father|driver|motorist)\b"
)

#: a preposition of place right before a capitalised phrase: "in Kokomo", "near Logansport"
_LOCATIVE_BEFORE = re.compile(r"\b(?:in|near|outside|from|around)\s+$")
#: a town's own services and officials right after its name: "Troy police said"
_AUTHORITY_AFTER = re.compile(
    r"\s+(?:police|officers|firefighters|sheriff's|officials|mayor|aldermen|city council|"
    r"town council|city officials)\b"
)
#: which slots :func:`is_town_slot` reads, chosen on the training splits by
#: experiments/nlp_town_slots.py: "resident" changes no GeoVirus train or CoNLL-2003 train
#: figure (neither corpus writes "a Peru man") and is kept for local news; "authority" lowered
#: exact F1 on both (0.9196 → 0.9193, 0.8303 → 0.8300: "Colombia police", "Atlantic City
#: police" where the gold span differs) and is left out
TOWN_SLOTS: tuple[str, ...] = ("locative", "resident")

#: cue → the candidate kinds it allows
ALLOWED = {
    "dateline": ("city",),
    "bare-dateline": ("city",),
    "resident": ("city", "admin1", "admin2", "region"),
}


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


def is_resident_modifier(text: str, start: int, end: int) -> bool:
    """The span stands between an article and a word for a person ("a Peru man")."""
    return bool(_ARTICLE_BEFORE.search(text[max(0, start - 8) : start])) and bool(
        _RESIDENT_AFTER.match(text, end)
    )


def is_town_slot(text: str, start: int, end: int) -> bool:
    """The span stands where news writes a town's name (spaCy's small model often tags small
    towns there as people or organisations): after a preposition of place and before no
    capitalised word ("in Kokomo on Tuesday"; not "in Kokomo Police Department"), before its
    police or officials ("Troy police said"), or as a resident modifier ("a Peru man") — of
    the slots named in :data:`TOWN_SLOTS`."""
    if (
        "locative" in TOWN_SLOTS
        and _LOCATIVE_BEFORE.search(text[max(0, start - 12) : start])
        and not re.match(r"\s+[A-Z]", text[end : end + 3])
    ):
        return True
    if "authority" in TOWN_SLOTS and _AUTHORITY_AFTER.match(text, end):
        return True
    return "resident" in TOWN_SLOTS and is_resident_modifier(text, start, end)


def kind_cue(text: str | None, start: int, end: int) -> str:
    """``dateline``, ``bare-dateline``, ``resident`` or ``""`` for the mention at
    ``start:end``."""
    if not text:
        return ""
    form = dateline(text, start, end)
    if form:
        return "dateline" if form == "qualified" else "bare-dateline"
    if is_resident_modifier(text, start, end):
        return "resident"
    return ""


def narrow_by_cue(
    candidates: list[T], spans: Sequence[tuple[int, int]], text: str | None
) -> list[T]:
    """The candidates (gazetteer matches with a ``place.kind``) of a name written at
    ``spans`` that its constructions allow: those of an allowed kind when there is one, else
    all — a cue narrows a name's readings, it never empties them. One sense per discourse: a
    name once written as a dateline names a city throughout the story (a major city when the
    dateline has no state: :data:`BARE_DATELINE_MIN_POPULATION`), and the dateline wins over a
    resident modifier."""
    cues = {kind_cue(text, a, b) for a, b in spans}
    cue = next((c for c in ("dateline", "bare-dateline", "resident") if c in cues), "")
    if not cue:
        return candidates
    kept = [
        c
        for c in candidates
        if c.place.kind in ALLOWED[cue]
        and (cue != "bare-dateline" or c.place.population >= BARE_DATELINE_MIN_POPULATION)
    ]
    return kept or candidates
