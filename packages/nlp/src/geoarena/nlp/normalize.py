"""Toponym name normalisation: the one key under which gazetteer names and text spans meet."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# "St." / "St" / "Ste." → saint; "Mt." → mount; "Ft." → fort (GeoNames spells them out or not,
# news text abbreviates them: one key for both).
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "mt": "mount",
    "ft": "fort",
    "pt": "port",
}
_PUNCT = re.compile(r"[\.\,'’`\"“”\(\)]")
_SEP = re.compile(r"[\s\-‐–—_/]+")
_LEADING_THE = re.compile(r"^the ")


@lru_cache(maxsize=1 << 18)
def normalize_name(name: str) -> str:
    """Lower-case, strip diacritics and punctuation, unify separators and expand abbreviations.

    >>> normalize_name("São Paulo")
    'sao paulo'
    >>> normalize_name("St. Louis") == normalize_name("Saint Louis")
    True
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    text = _PUNCT.sub(" ", text)
    tokens = [_ABBREVIATIONS.get(t, t) for t in _SEP.split(text) if t]
    return _LEADING_THE.sub("", " ".join(tokens))


def compact_key(name: str) -> str:
    """Normalised name without spaces (``U.S.`` → ``us``, ``U.K.`` → ``uk``) for abbreviations."""
    return normalize_name(name).replace(" ", "")
