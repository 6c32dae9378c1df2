"""Character spans of a text: long texts cut into pieces for spaCy at natural boundaries, and
an entity span trimmed to the proper name it holds (see :mod:`geoarena.nlp.recognition`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

#: spaCy keeps a document under 1,000,000 characters; longer texts are cut into pieces at
#: paragraph / sentence / space boundaries so a 1 MB report parses like several small ones.
MAX_CHUNK_CHARS = 100_000


def chunk_text(text: str, max_chars: int = MAX_CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most ``max_chars``, cut at the last paragraph break, sentence
    end or space before the limit (a hard cut only when there is none)."""
    pos = 0
    n = len(text)
    while pos < n:
        end = min(pos + max_chars, n)
        if end < n:
            window = text[pos:end]
            cut = max(window.rfind("\n\n"), window.rfind(". "), window.rfind("\n"))
            if cut < max_chars // 2:
                cut = window.rfind(" ")
            if cut > 0:
                end = pos + cut + 1
        yield pos, text[pos:end]
        pos = end


def _trim_the(text: str, s: int, e: int) -> tuple[str, int, int]:
    """spaCy includes a leading "the" in some entities ("the United States"); gold spans don't."""
    span = text[s:e]
    low = span.lower()
    for prefix in ("the ",):
        if low.startswith(prefix):
            s += len(prefix)
    # trailing lower-case words are not part of a proper name: "Hebei province", "Indian Ocean
    # coast" (a name is written capitalised to its end: "Rio de Janeiro", "Cox's Bazar")
    words = text[s:e].split(" ")
    while len(words) > 1 and words[-1][:1].islower():
        words.pop()
    e = s + len(" ".join(words))
    while e > s and text[e - 1] in ".,;:'’\"":
        if text[e - 1] == "." and re.search(r"\b[A-Z]\.$", text[s:e]):
            break  # keep the dot of "U.S."
        e -= 1
    if text[s:e].endswith(("'s", "’s")):
        e -= 2
    return text[s:e], s, e


#: capitalised words that are never places on their own
MONTHS_AND_DAYS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


def opens_sentence(text: str, start: int) -> bool:
    """``text[start:]`` opens a sentence (or the text, a quote, a line), where every word is
    capitalised whatever it names."""
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\"'“”‘’:—\n"
