"""The geoparser: recognition → resolution → JSON / GeoJSON records."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geoarena.core.errors import ConfigError, DataError
from geoarena.nlp.focus import publication_anchor
from geoarena.nlp.gazetteer import Gazetteer, GazetteerConfig, Place
from geoarena.nlp.recognition import (
    SPACY_MODEL,
    CombinedRecognizer,
    GazetteerMatcher,
    Mention,
    Recognizer,
    SpacyRecognizer,
    chunk_text,
)
from geoarena.nlp.recognition_focus import FocusRescue
from geoarena.nlp.resolution import Resolved, make_resolver

#: texts longer than this are refused with a clear error (the geoparser cuts texts up to it
#: into spaCy-sized pieces; beyond, split the input into documents yourself)
MAX_TEXT_CHARS = 20_000_000
#: :meth:`Geoparser.parse_long` resolves a long text window by window: each window is one
#: document for the resolver's context (a news article is a few thousand characters; a window
#: holds several), and memory stays bounded by one window's mentions whatever the text's length
WINDOW_CHARS = 20_000


@dataclass
class GeoparserConfig:
    """What a geoparser is made of.

    Attributes:
        recognizer: ``spacy`` (NER only), ``combined`` (NER + gazetteer rescue) or
            ``gazetteer`` (string matching only).
        resolver: ``context``, ``population`` or ``learned``.
        spacy_model: spaCy package name or pipeline folder.
        learned_model: LightGBM model file for ``resolver="learned"``.
        min_city_population: gazetteer matcher threshold for cities.
        focus_recognition: with ``combined``, also recognise counties named in full and the
            small towns of the document's focus state (:mod:`geoarena.nlp.recognition_focus`).
        nested_in: with ``combined``, spaCy labels whose longer entities hide the gazetteer
            phrases inside them: a place name inside a person's or a group's name ("Paul" in
            "Paul Johnson") is part of that name. ``ORG`` is left out by default because
            corpora disagree: GeoVirus marks "U.S." in "U.S. Food and Drug Administration" as a
            toponym, CoNLL-2003 marks none in "Chicago Board of Trade" or "Real Madrid".
        keep_unknown_facilities: keep spaCy's facility spans (FAC: roads, bridges, airports,
            buildings) that the gazetteer has no candidate for. Off by default: on the
            training splits most were no toponym ("Interstate 40", "the White House";
            GeoVirus train 3 gold of 15, CoNLL-2003 train 26 of 104), while facilities the
            gazetteer knows stay.
    """

    recognizer: str = "combined"
    resolver: str = "context"
    spacy_model: str = SPACY_MODEL
    learned_model: str = ""
    min_city_population: int = 100_000
    batch_size: int = 32
    focus_recognition: bool = True
    nested_in: tuple[str, ...] = ("PERSON", "NORP")
    keep_unknown_facilities: bool = False


def build_recognizer(cfg: GeoparserConfig, gaz: Gazetteer, nlp=None) -> Recognizer:
    if cfg.recognizer == "spacy":
        return SpacyRecognizer(cfg.spacy_model, batch_size=cfg.batch_size, nlp=nlp)
    if cfg.recognizer == "combined":
        other = ("ORG", "PERSON", "NORP")
        unknown = sorted(set(cfg.nested_in) - set(other))
        if unknown:
            raise ConfigError(f"nested_in {unknown}: choose among {', '.join(other)}")
        ner = SpacyRecognizer(cfg.spacy_model, keep_other=other, batch_size=cfg.batch_size, nlp=nlp)
        matcher = GazetteerMatcher(gaz, cfg.min_city_population)
        focus = FocusRescue(gaz, matcher.plausible_word) if cfg.focus_recognition else None
        return CombinedRecognizer(ner, matcher, focus=focus, nested_in=cfg.nested_in)
    if cfg.recognizer == "gazetteer":
        return GazetteerMatcher(gaz, cfg.min_city_population)
    raise DataError(f"unknown recognizer {cfg.recognizer!r} (spacy, combined, gazetteer)")


class Geoparser:
    """Text in, resolved toponyms out. Build once (loads spaCy and opens the gazetteer)."""

    def __init__(
        self,
        cfg: GeoparserConfig | None = None,
        gazetteer: Gazetteer | None = None,
        recognizer: Recognizer | None = None,
        cache_dir: Path | None = None,
        nlp=None,
    ):
        self.cfg = cfg or GeoparserConfig()
        self.cache_dir = cache_dir
        self._outlet_homes = None
        self.gaz = gazetteer or Gazetteer.open(cache_dir, GazetteerConfig())
        self.recognizer = recognizer or build_recognizer(self.cfg, self.gaz, nlp=nlp)
        self.resolver = make_resolver(self.cfg.resolver, self.gaz)
        if self.cfg.resolver == "learned":
            if not self.cfg.learned_model:
                raise DataError("resolver 'learned' needs learned_model= (a LightGBM model file)")
            self.resolver.load(self.cfg.learned_model)

    def parse_many(
        self, texts: Sequence[str], publication_places: Sequence[str] | None = None
    ) -> list[list[Resolved]]:
        """Resolved toponyms of each text; ``publication_places`` (one per text, "" where
        unknown) names where each was published ("Paris, Texas"), a prior for the resolver's
        document focus (see :mod:`geoarena.nlp.focus`)."""
        if publication_places is not None and len(publication_places) != len(texts):
            raise DataError(f"{len(publication_places)} publication places for {len(texts)} texts")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise DataError(
                    f"text {i} is {type(t).__name__}, expected str (decode bytes as UTF-8 first)"
                )
            if len(t) > MAX_TEXT_CHARS:
                raise DataError(
                    f"text {i} has {len(t):,} characters, more than the {MAX_TEXT_CHARS:,} allowed"
                )
        pubs = [self.publication(p) for p in publication_places or [""] * len(texts)]
        mentions = self._recognize(list(texts), pubs)
        return [
            self._kept(self.resolver.resolve(t, ms, pub)) if ms else []
            for t, ms, pub in zip(texts, mentions, pubs)
        ]

    def _kept(self, resolved: list[Resolved]) -> list[Resolved]:
        """The records a user gets: without the facility spans the gazetteer does not know
        unless :attr:`GeoparserConfig.keep_unknown_facilities`."""
        if self.cfg.keep_unknown_facilities:
            return resolved
        return [r for r in resolved if r.place is not None or r.mention.label != "FAC"]

    def _recognize(self, texts: list[str], pubs: Sequence[Place | None]) -> list[list[Mention]]:
        """The recogniser's mentions; the combined one also takes each publication place's
        admin-1 area as an anchor of its focus rescue (a local paper's small towns)."""
        if isinstance(self.recognizer, CombinedRecognizer):
            return self.recognizer.recognize(texts, [p.admin1_key if p else "" for p in pubs])
        return self.recognizer.recognize(texts)

    def publication(self, place: str) -> Place | None:
        """The gazetteer entity of a publication place; a non-empty name the gazetteer does
        not know is an error (a silently ignored prior would hide a typo)."""
        found = publication_anchor(self.gaz, place)
        if found is None and place and place.strip():
            raise DataError(f"publication place {place!r} is not in the gazetteer")
        return found

    def outlet_home(self, outlet: str) -> str:
        """The publication place of a news outlet's web host ("theparisnews.com") in the
        default outlet-home table (:mod:`geoarena.nlp.outlet_homes`, fetched into the cache on
        first use; ``DataError`` when that fails), "" for an outlet the table lacks."""
        from geoarena.nlp.outlet_homes import home_of, load_outlet_homes

        if self._outlet_homes is None:
            self._outlet_homes = load_outlet_homes(self.gaz, self.cache_dir)
        return home_of(self._outlet_homes.places, outlet)

    def parse(self, text: str, publication_place: str = "", outlet: str = "") -> list[Resolved]:
        """Resolved toponyms of one text; ``outlet`` (a web host) stands for the publication
        place through :meth:`outlet_home` when ``publication_place`` is not given."""
        if outlet and not publication_place:
            publication_place = self.outlet_home(outlet)
        return self.parse_many([text], [publication_place])[0]

    def parse_long(
        self, text: str, window_chars: int = WINDOW_CHARS, publication_place: str = ""
    ) -> Iterator[Resolved]:
        """Resolved toponyms of a text of any length, window by window (cut at paragraph,
        sentence or space boundaries), with offsets into ``text``; yields as it goes, so a
        caller that writes records out holds one window at a time."""
        if not isinstance(text, str):
            raise DataError(f"text is {type(text).__name__}, expected str")
        pub = self.publication(publication_place)
        for offset, piece in chunk_text(text, window_chars):
            mentions = self._recognize([piece], [pub])[0]
            if not mentions:
                continue
            for r in self._kept(self.resolver.resolve(piece, mentions, pub)):
                m = r.mention
                yield replace(r, mention=replace(m, start=m.start + offset, end=m.end + offset))


def to_records(resolved: Sequence[Resolved]) -> list[dict[str, Any]]:
    """Plain JSON records: name, span, lat, lon, geonameid, country, score (+ kind, place,
    source, and ``demonym``: the mention is a demonym or adjectival form of the place)."""
    out = []
    for r in resolved:
        p = r.place
        out.append(
            {
                "name": r.mention.text,
                "start": r.mention.start,
                "end": r.mention.end,
                "lat": None if p is None else round(p.lat, 6),
                "lon": None if p is None else round(p.lon, 6),
                "geonameid": None if p is None else p.geonameid,
                "country": None if p is None else (p.country_code or None),
                "place": None if p is None else p.name,
                "kind": None if p is None else p.kind,
                "score": round(r.score, 4),
                "source": r.mention.source,
                "demonym": r.demonym,
            }
        )
    return out


def to_geojson(resolved: Sequence[Resolved], doc_id: str | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the resolved toponyms (unresolved ones are left out)."""
    feats = []
    for rec in to_records(resolved):
        if rec["lat"] is None:
            continue
        props = {k: v for k, v in rec.items() if k not in ("lat", "lon")}
        if doc_id is not None:
            props["doc"] = doc_id
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}
