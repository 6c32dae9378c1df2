"""Rules that drop a recognised span which names something other than a place: a pathogen
("West Nile virus"), a team in a sports results row ("Bury 4 Bristol City 0"), a road
("U.S. 82", "Texas Highway 19") or an institution ("Jordan High School", "University of
Georgia", a paper titled by a demonym: "The Oregonian"). Each reads only the text around the
span, so every recogniser can apply them after its own overlap rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Mention lives in recognition, which imports these rules
    from geoarena.nlp.recognition import Mention

#: a place name inside a pathogen or disease name ("West Nile virus", "Marburg fever", "Reston
#: ebolavirus") is part of that name, not a reference to the place
_DISEASE_AFTER = re.compile(
    r"[\s-]*(?:virus|viruses|fever|disease|flu|influenza|ebolavirus|virus disease)\b", re.I
)


def is_disease_modifier(text: str, m: Mention) -> bool:
    """``m`` is followed by a pathogen / disease word ("Marburg virus")."""
    return bool(_DISEASE_AFTER.match(text, m.end))


#: a name in a sports results or standings row ("Brentford 4 3 1 0 9 3 10", "Bury 4 Bristol
#: City 0") names a team, not the place: a score follows it, and a second number or the next
#: team's name and score
_SCORE_AFTER = re.compile(
    r"\s+\d{1,3}(?:\s+\d{1,3}\b|\s+[A-Z][\w.'’-]*(?:\s+[A-Z(][\w.'’()-]*){0,3}\s+\d{1,3}\b)"
)
_SCORE_BEFORE = re.compile(r"\b\d{1,3}\s+$")


def is_results_row(text: str, m: Mention) -> bool:
    """``m`` stands in a sports results / standings row (see :data:`_SCORE_AFTER`)."""
    if _SCORE_AFTER.match(text, m.end):
        return True
    return bool(_SCORE_BEFORE.search(text[max(0, m.start - 6) : m.start])) and bool(
        re.match(r"\s+\d{1,3}\b", text[m.end : m.end + 6])
    )


#: a road word and a number after a place name make a road's name: "U.S. Highway 82", "Ohio
#: Route 33", "Lamar County Road 35000" ("Texas 19" alone is left: a score reads the same)
_ROAD_WORD_AFTER = re.compile(r"\s+(?:Highway|Hwy\.?|Route|Rte\.?|Road|Rd\.?)\s+\d")
#: "U.S. 82 east of Deport": the federal route numbers of local news, written without
#: "Highway"; the number must end the phrase or be followed by a direction or a preposition,
#: so that "U.S. 30-year bonds", "U.S. 10 percent" or "U.S. 500 index" stay the country
_US_ROUTE_AFTER = re.compile(
    r"\s+\d{1,3}[A-Z]?(?=[,.;:)](?!\d)|\s*$|\s+(?:north|south|east|west|northbound|southbound|"
    r"eastbound|westbound|near|at|in|and|or|between|from|to|through|toward|towards|bypass|"
    r"business|frontage|outside|just|about|approximately)\b)",
    re.I,
)
_US_FORMS = frozenset({"U.S.", "US", "U.S", "U. S."})


def is_road_name(text: str, m: Mention) -> bool:
    """``m`` is part of a road's name ("U.S. 82", "Ohio Route 33"), not a place reference."""
    if _ROAD_WORD_AFTER.match(text, m.end):
        return True
    return m.text in _US_FORMS and bool(_US_ROUTE_AFTER.match(text, m.end))


#: a place name that opens a school's, university's, hospital's or newspaper's name ("Jordan
#: High School", "Ohio State University", "Royal Free Hospital", "The Washington Post") or ends
#: a university's ("University of Georgia") is part of that institution's name: GeoVirus train/val
#: and CoNLL-2003 train/valid mark one of 55 such spans as a place, while a government body of a
#: place ("California Department of Public Health") and a school district stay places
_INSTITUTION_AFTER = re.compile(
    r"(?:(?:'s|’s)?\s+(?:State\s+)?(?:High\s+School|Middle\s+School|Elementary\s+School|"
    r"School(?!\s+(?:District|Board))|University|College|Hospital|Medical\s+Center|Times|Post|"
    r"Herald|Journal|Tribune|Gazette|Daily|Chronicle|Observer|Inquirer)"
    # more newspapers' title words, right after the name only: "Britain's Sun" is the country's
    # paper, "the Vancouver Sun", "the Indianapolis Star", "the Hong Kong Standard", "the Paris
    # News" are titles (GeoVirus train/val and CoNLL-2003 train/valid: 8 such spans, none a place)
    r"|\s+(?:News|Sun|Star|Press|Free\s+Press|Standard|Banner|Courier|Register|Dispatch|"
    r"Telegraph|Examiner|Bee|Ledger|Sentinel|Record))\b"
)
_INSTITUTION_BEFORE = re.compile(r"\b(?:University|College)\s+of\s+(?:the\s+)?$")


def is_institution_name(text: str, m: Mention) -> bool:
    """``m`` is part of a school's, university's, hospital's or newspaper's name."""
    return bool(_INSTITUTION_AFTER.match(text, m.end)) or bool(
        _INSTITUTION_BEFORE.search(text[max(0, m.start - 24) : m.start])
    )


#: a capitalised "The" inside a sentence: the first word of a title ("told The Oklahoman")
_TITLE_THE_BEFORE = re.compile(r"(?<![.!?:;\"“”'‘’(\[\n])\s+The\s+$")


def is_titled(text: str, m: Mention) -> bool:
    """``m`` follows a capitalised "The" that does not open a sentence: with a demonym, a
    newspaper's title ("a story in The Oregonian", "told The Australian"), where the people
    would be "the Oregonians". At a sentence's start the capital says nothing, so such a span
    is kept."""
    return bool(_TITLE_THE_BEFORE.search(text[max(0, m.start - 12) : m.start]))


#: one word of letters and digits together: a code, not a place's name — flu subtypes ("H1N1",
#: "H5N1"), aircraft and flights ("A380", "UA93"), forms ("W-2"); spaCy's small model tags
#: "H1N1" as a GPE
_CODE = re.compile(r"(?=[^\s]*\d)(?=[^\s]*[A-Za-z])[A-Za-z0-9-]+")


def is_code(m: Mention) -> bool:
    """``m`` is a single word that mixes letters and digits (see :data:`_CODE`)."""
    return bool(_CODE.fullmatch(m.text))
