"""Recognition of a local story's small places, from the document's own geographic focus.

The gazetteer matcher accepts a city only from :attr:`GazetteerMatcher.min_pop` inhabitants up,
because at any population a capitalised word is a town somewhere ("Union", "Liberty"), and the
small spaCy model tags many towns as a person or an organisation ("visited Joplin", "Residents
of Clendenin and Elkview"). Local news names exactly such towns, next to the state or county
they lie in. Two rules, neither fitted to a corpus:

* **Counties by their full name.** A phrase that ends in an admin-2 word ("Greene County",
  "Tangipahoa Parish") and that the gazetteer knows as an admin-2 area is a place wherever it
  stands (inside an organisation's name, too: "the Greene County Commission", as corpora
  annotate "Ohio" in "Ohio Department of Health").
* **Towns of the focus state.** The document's focus admin-1 areas are those holding at least
  :data:`MIN_ANCHORS` of its *anchors* (already recognised names with one reading:
  :func:`geoarena.nlp.focus.anchor_place`; a county with one reading counts as many: "Dane
  County" alone says where the story is); in a story without, the one admin-1 area holding a
  reading of :data:`MIN_SHARED` of its names ("Lamar County", "Paris", "Reno": Texas), when a
  county named in full or one anchor lies there ("Killeen", beside "Waco" and "Austin"); a
  publication place, where the document has one, is an anchor of its admin-1 area (with no
  second anchor, its area is the focus for names after a place cue alone). A name not
  yet recognised is accepted when the gazetteer knows it, under its own name, as a city or
  admin-2 area of a focus state, and it is not a demonym — if spaCy tagged it as an
  organisation or a nationality (a span "Clendenin and Elkview" split at its conjunctions) or,
  after a place cue or before a word for its people, as a person ("from Copperas Cove", "a
  Middleton man"), or it is a whole capitalised phrase ("Bell" in "Taco Bell" is not) that
  does not open a sentence (where every word is capitalised) and lies outside any multi-word
  person name ("Gov. Mike Parson"; the town after a person's "of" excepted).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from geoarena.nlp.candidates import generate_candidates
from geoarena.nlp.focus import anchor_place
from geoarena.nlp.gazetteer import Gazetteer, Place
from geoarena.nlp.mention_cues import ADMIN2_WORDS
from geoarena.nlp.recognition import Mention
from geoarena.nlp.text_spans import opens_sentence
from geoarena.nlp.town_slots import after_place_word

#: anchors an admin-1 area needs before its small towns are recognised: one mention of "Texas"
#: in a world news story does not make every Texan hamlet a candidate
MIN_ANCHORS = 2
#: distinct names of a document with fewer anchors, a county named in full among them, that must
#: each have a reading in one admin-1 area, and in no other as many, for it to be the focus:
#: "Lamar County", "Paris" and "Reno" are each ambiguous, but only Texas holds all three (the
#: county, or one anchor in that area, keeps world and sports news out: three club or player
#: names share a state somewhere)
MIN_SHARED = 3
#: without a second anchor in its home state, a local paper's towns are read after a place cue
#: ("of Rockmart", "in Cave Spring") or before a word for their people, and nowhere else
HOME_CUED = True
_LOCAL = ("city", "admin2")
#: spaCy labels whose spans may hold a mis-tagged town
_RESCUE_LABELS = ("ORG", "NORP", "PERSON")
_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")
#: what stands right before a place name ("from", "in the", "near") or a second one ("and",
#: "or", a comma of a list)
_PLACE_CUE = re.compile(r"(?:\b(?:in|from|of|near|at|outside|and|or)\s+(?:the\s+)?|,\s*)$")


#: what follows a town named for its people ("a Middleton man", "two Nixa teens")
_RESIDENT_AFTER = re.compile(
    r"\s+(?:man|woman|men|women|resident|residents|native|teen|teens|teenager|teenagers|boy|girl"
    r"|couple|family|student|students)\b"
)


def _cued(text: str, start: int, end: int) -> bool:
    """A place cue before ``text[start:end]`` or a resident noun after it."""
    return bool(
        _PLACE_CUE.search(text[max(0, start - 16) : start]) or _RESIDENT_AFTER.match(text, end)
    )


def is_county_phrase(gaz: Gazetteer, phrase: str) -> bool:
    """``phrase`` ends in an admin-2 word and names an admin-2 area of the gazetteer."""
    if not phrase.endswith(ADMIN2_WORDS) or len(phrase.split()) < 2:
        return False
    found = generate_candidates(gaz, phrase, 40, backoff="suffix")
    return any(m.place.kind == "admin2" for m in found)


def focus_admin1(gaz: Gazetteer, mentions: Sequence[Mention], home: str = "") -> set[str]:
    """Admin-1 keys (``CC.code``) holding at least :data:`MIN_ANCHORS` anchor mentions; without
    one, the admin-1 area that alone holds a reading of :data:`MIN_SHARED` or more of the
    document's distinct names, with a county named in full among them or one anchor there (see
    there). ``home``, the admin-1 key of the publication place, counts as one anchor: a local
    paper's story needs one more."""
    counts: Counter[str] = Counter([home] if home else [])
    shared: Counter[str] = Counter()
    seen: set[str] = set()
    county = False
    for m in mentions:
        found = generate_candidates(gaz, m.text, 40)
        place = anchor_place(found)
        if place is not None and place.kind in ("city", "admin1", "admin2") and place.admin1_key:
            # a county named with one reading ("Dane County") says alone where the story is
            counts[place.admin1_key] += MIN_ANCHORS if place.kind == "admin2" else 1
        if m.text not in seen:
            seen.add(m.text)
            county = county or m.text.endswith(ADMIN2_WORDS)
            if place is not None and place.kind in ("admin1", "country"):
                continue  # "Oklahoma" names the state, not its namesake hamlet in Pennsylvania
            shared.update(
                {x.place.admin1_key for x in found if x.place.kind in _LOCAL and x.place.admin1_key}
            )
    states = {k for k, n in counts.items() if n >= MIN_ANCHORS}
    if states or not shared:
        return states
    ranked = shared.most_common(2)
    top, n = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    # the story must also say it is local: a county named in full, or one anchor in that state
    local = county or counts[top] > 0
    return {top} if local and n >= MIN_SHARED and runner_up < n else set()


def local_place(gaz: Gazetteer, phrase: str, states: set[str]) -> Place | None:
    """The city or admin-2 area of a focus state that ``phrase`` names (its own name)."""
    for m in gaz.lookup(phrase):
        p = m.place
        if m.main and p.kind in ("city", "admin2") and p.admin1_key in states:
            return p
    return None


class FocusRescue:
    """Adds the mentions of the two rules above to a document's recognised mentions."""

    def __init__(self, gaz: Gazetteer, accepts_word):
        self.gaz = gaz
        self.accepts_word = accepts_word  # the matcher's stop-word / length filter

    def town(self, phrase: str, states: set[str]) -> bool:
        """A plausible word naming a place of a focus state, and not a demonym ("Canadian" is
        a town in Texas, too)."""
        return (
            self.accepts_word(phrase)
            and not self.gaz.lookup_demonym(phrase)
            and local_place(self.gaz, phrase, states) is not None
        )

    def rescue(
        self,
        text: str,
        kept: list[Mention],
        ner_other: Sequence[Mention],
        phrases: Sequence[tuple[int, int, str, bool]],
        home: str = "",
    ) -> list[Mention]:
        """New mentions (not overlapping ``kept``) for ``text``. ``ner_other`` are spaCy's
        spans of other labels, ``phrases`` the matcher's capitalised phrases (start, end, text,
        whole sequence), ``home`` the admin-1 key of the publication place ("" if unknown)."""
        taken = [(m.start, m.end) for m in kept]
        persons = [(m.start, m.end) for m in ner_other if m.label == "PERSON" and " " in m.text]
        solo = [(m.start, m.end) for m in ner_other if m.label == "PERSON" and " " not in m.text]
        out: list[Mention] = []

        def free(s: int, e: int) -> bool:
            return all(e <= a or s >= b for a, b in taken)

        def add(s: int, e: int, label: str, source: str) -> None:
            out.append(Mention(s, e, text[s:e], label, source))
            taken.append((s, e))

        for s, e, phrase, _ in phrases:
            if free(s, e) and is_county_phrase(self.gaz, phrase):
                add(s, e, "LOC", "gazetteer-county")
        states = focus_admin1(self.gaz, [*kept, *out], home)  # a county named in full anchors too
        # a local paper's story with no second anchor in its home state ("Survivors include a
        # son, Mark Doe of Rockmart") still names its towns where a place cue stands before
        # them: only those are read (:data:`HOME_CUED`)
        cued_only = not states and bool(home) and HOME_CUED
        if cued_only:
            states = {home}
        if not states:
            return out

        def cued(s: int, e: int) -> bool:
            if not cued_only:
                return _cued(text, s, e)
            # with the home state alone: after a word of place or before one for its people,
            # not after a bare comma ("Meanwhile, Jefferson said"), and no English word ("a
            # matter of Commerce")
            return (
                after_place_word(text, s, e) or bool(_RESIDENT_AFTER.match(text, e))
            ) and not self.gaz.is_common_word(text[s:e])

        for m in ner_other:
            if m.label not in _RESCUE_LABELS:
                continue
            if m.label == "PERSON":
                # the small model tags town names as persons ("from Copperas Cove and Harker
                # Heights", "in Moonbi, Parkes"): a whole span counts after what introduces a
                # place, not after "President" or "praised" ("Clinton") or "leader Aung San Suu
                # Kyi"
                if cued(m.start, m.end) and free(m.start, m.end) and self.town(m.text, states):
                    add(m.start, m.end, "LOC", "focus")
                continue
            pos = m.start
            for part in _SPLIT.split(m.text):
                s = text.find(part, pos) if part else -1
                if s < 0:
                    continue
                e, pos = s + len(part), s + len(part)
                if free(s, e) and (not cued_only or cued(s, e)) and self.town(part, states):
                    add(s, e, "LOC", "focus")
        for s, e, phrase, whole in phrases:
            # "Sgt. Maria Lopez of Temple": the town after a person's "of" ends its phrase
            of_person = any(text[b:s] == " of " for _, b in persons)
            if (
                (whole or of_person)
                and free(s, e)
                and all(e <= a or s >= b for a, b in persons)
                and (cued(s, e) or (not cued_only and all(e <= a or s >= b for a, b in solo)))
                and not opens_sentence(text, s)
                and self.town(phrase, states)
            ):
                add(s, e, "LOC", "focus")
        return out
