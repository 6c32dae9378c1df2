"""The records every corpus reader returns: a :class:`Document` with gold :class:`Toponym` spans
(kept apart from :mod:`geoarena.nlp.corpora` so that format readers in modules of their own,
such as :mod:`geoarena.nlp.conll_ner`, need not import the reader registry)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Toponym:
    """A gold or predicted toponym span with its coordinates (``nan`` when unknown)."""

    name: str
    start: int
    end: int
    lat: float = math.nan
    lon: float = math.nan
    geonameid: int | None = None
    alt_name: str = ""
    label: str = "toponym"

    @property
    def resolvable(self) -> bool:
        return not (math.isnan(self.lat) or math.isnan(self.lon))


@dataclass
class Document:
    """One article: id, text and gold toponyms (sorted by start).

    ``corpus`` names the corpus format the reader read (``geovirus``, ``lgl``, ``wiktor``,
    ``geowebnews``): its point convention and annotation scope are
    :data:`geoarena.nlp.conventions.CORPUS_CONVENTIONS`, applied only in evaluation.
    ``outlet`` is the publishing outlet's web host where the format names one (LGL's
    ``<domain>``, GeoWebNews' ``LINK:``);
    ``publication_place`` the place it was published, as
    :func:`geoarena.nlp.focus.publication_anchor` reads it ("Paris, Texas", ``gn:4717560``),
    a prior for the resolver's document focus ("" when unknown).
    """

    doc_id: str
    text: str
    toponyms: list[Toponym] = field(default_factory=list)
    source: str = ""
    corpus: str = ""
    outlet: str = ""
    publication_place: str = ""
