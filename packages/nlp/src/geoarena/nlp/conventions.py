"""What an evaluation corpus means by a place's point, and what it annotates.

The resolver returns gazetteer *entities* with their source points (GeoNames' for cities and
continents, the Factbook point for countries, see :class:`~geoarena.nlp.gazetteer.
GazetteerConfig`). Corpora disagree on where an area is: GeoVirus and WikToR take Wikipedia's
coordinates (countries and macro-regions at Wikipedia's central point), LGL and GeoWebNews take
GeoNames'. Each corpus reader sets ``Document.corpus``; its convention here is applied only when
scoring (and when deriving a learned ranker's labels from gold points), never inside the
resolver:

* ``source``: the entity's own point;
* ``wikipedia``: the gazetteer's stored Wikipedia-convention point where it has one
  (countries, continents, macro-regions), else the source point;
* ``geonames``: GeoNames' own point of the entity. Cities carry it as their source point; for an
  area whose GeoNames id the corpus itself annotates, the corpus gives GeoNames' point of that
  id (:func:`corpus_id_points`), so an entity with the gold id scores at the gold point; other
  areas keep their source point.

``annotates_demonyms`` says whether the corpus marks demonyms and adjectival forms ("American")
as toponyms: LGL does, GeoVirus and WikToR do not, GeoWebNews labels them ``Demonym``, which
is not a toponym label. Predictions flagged ``demonym`` are left out of recognition scoring on
a corpus that does not annotate them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from geoarena.core.errors import ConfigError

POINT_CONVENTIONS = ("source", "wikipedia", "geonames")


@dataclass(frozen=True)
class CorpusConvention:
    """A corpus's point convention and annotation scope."""

    points: str = "source"
    annotates_demonyms: bool = True

    def __post_init__(self) -> None:
        if self.points not in POINT_CONVENTIONS:
            raise ConfigError(
                f"unknown point convention {self.points!r}; choose one of {POINT_CONVENTIONS}"
            )


#: ``Document.corpus`` → convention (documents of an unknown corpus: source points, demonyms
#: counted)
CORPUS_CONVENTIONS: dict[str, CorpusConvention] = {
    "geovirus": CorpusConvention("wikipedia", annotates_demonyms=False),
    "wiktor": CorpusConvention("wikipedia", annotates_demonyms=False),
    "lgl": CorpusConvention("geonames", annotates_demonyms=True),
    "geowebnews": CorpusConvention("geonames", annotates_demonyms=False),
    # CoNLL NER files: no coordinates (recognition only); nationalities are MISC, not LOC
    "conll": CorpusConvention("source", annotates_demonyms=False),
    # silver points from CoNLL-2003 qualifiers (geoarena.nlp.silver): gazetteer entities' own
    # points
    "conll-silver": CorpusConvention("geonames", annotates_demonyms=False),
}


def convention_of(corpus: str) -> CorpusConvention:
    """The convention a corpus reader declared (``source`` for an unnamed corpus)."""
    return CORPUS_CONVENTIONS.get(corpus, CorpusConvention())


IdPoints = dict[int, tuple[float, float]]


def corpus_id_points(docs: Iterable) -> IdPoints:
    """GeoNames id → the corpus's point for it, from every gold toponym that has both."""
    out: IdPoints = {}
    for d in docs:
        for t in d.toponyms:
            if t.geonameid is not None and t.resolvable:
                out.setdefault(int(t.geonameid), (t.lat, t.lon))
    return out


def place_point(
    place, convention: CorpusConvention, gaz=None, id_points: IdPoints | None = None
) -> tuple[float, float]:
    """The point of a resolved gazetteer entity under ``convention``."""
    if convention.points == "wikipedia" and gaz is not None:
        conv = gaz.convention_point(place.key, "wikipedia")
        if conv is not None:
            return conv
    elif convention.points == "geonames" and id_points and place.geonameid is not None:
        got = id_points.get(int(place.geonameid))
        if got is not None and place.kind != "city":
            return got
    return place.lat, place.lon
