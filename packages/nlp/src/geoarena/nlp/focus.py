"""A document's geographic focus, inferred from its unambiguous toponyms, as a prior for the
ambiguous ones.

Local news names its town's neighbours without the state ("Paris" beside Lexington and Bourbon
County means Paris, Kentucky); the population prior alone sends such names to the world's
largest namesake. The focus is read from *anchors*: names whose reading is not in doubt — a name
with one candidate, a demonym or abbreviation that names one entity, or a name whose
candidates hold exactly one country or admin-1 area under its own name ("Texas", "Ohio").
From the anchors come, per candidate of every other name:

* ``focus_country``: the share of anchors that lie in the candidate's country;
* ``focus_admin1``: the share of sub-national anchors (cities, admin-1 / admin-2 areas) in the
  candidate's admin-1 area;
* ``focus_km``: the distance from the candidate to the anchors' medoid (the sub-national anchor
  closest in sum to the others), on the same log scale as the spread feature; 0 for every
  candidate of a document without sub-national anchors.

A document may also carry its *publication place* (a local paper's town: local-news corpora
are gathered by outlet). It is the surest anchor there is — where the text was written, not
a reading of a name — so when given it joins the anchors (shares and medoid) and adds
``publication_km``: the candidate's distance to it on the same log scale (0 for every candidate
of a document without one). A local paper in Paris, Texas writes "Paris" for its own town.

No weight here is fitted: the features go to the context resolver and the learned ranker, whose
weights are chosen on training documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geoarena.nlp.gazetteer import Gazetteer, NameMatch, Place
from geoarena.nlp.geo_metrics import MAX_ERROR_KM, haversine_km
from geoarena.nlp.mention_cues import stands_alone

_SUBNATIONAL = ("city", "admin1", "admin2")
#: a bare name shared by admin-1 areas and their seat (a national capital, or a metropolis
#: inside the area) is the seat (:func:`seat_namesakes`)
SEAT_NAMESAKES = True
#: a city this large inside an admin-1 area named like it is the area's seat for
#: :func:`seat_namesakes` (the metropolis size of ``candidates.METROPOLIS_POPULATION``)
NAMESAKE_CITY_POPULATION = 1_000_000
#: an anchor of the story this close to the seat is the seat's own ("Brooklyn", "Bethesda")
SEAT_NEAR_KM = 100.0


def anchor_place(
    candidates: Sequence[NameMatch], via_alias: bool = False, areas: bool = True
) -> Place | None:
    """The place an unambiguous name denotes, else ``None`` (see the module docstring);
    ``areas=False`` leaves out the rule that reads a name as its one country or admin-1 area."""
    if not candidates:
        return None
    if len(candidates) == 1 or (via_alias and len({m.place.key for m in candidates}) == 1):
        return candidates[0].place
    if not areas:
        return None
    found = [m.place for m in candidates if m.main and m.place.kind in ("country", "admin1")]
    return found[0] if len(found) == 1 else None


def document_anchors(
    names: Sequence[Sequence[NameMatch]],
    via_alias: Sequence[bool],
    publication: Place | None = None,
) -> list[Place | None]:
    """Each name's anchor (:func:`anchor_place`), except that a name read as its one country
    or admin-1 area is no anchor when a town of that name lies in the admin-1 area of a
    surer anchor — a name with one reading, a demonym or abbreviation — or of the
    publication place: "LEBANON — Wilson County commissioners … Mount Juliet" is a Tennessee
    story, and its "Lebanon" would otherwise be the country's anchor, the document's focus
    half in the Levant and its own candidates spared the distance to the others."""
    sure = [anchor_place(c, a, areas=False) for c, a in zip(names, via_alias, strict=True)]
    local = {
        p.admin1_key
        for p in (*sure, publication)
        if p is not None and p.kind in _SUBNATIONAL and p.admin1_key
    }
    out: list[Place | None] = []
    for cands, alias, anchor in zip(names, via_alias, sure):
        if anchor is None:
            anchor = anchor_place(cands, alias)
            if anchor is not None and any(
                m.place.kind == "city" and m.place.admin1_key in local for m in cands
            ):
                anchor = None
        out.append(anchor)
    return out


@dataclass(frozen=True)
class DocumentFocus:
    """Where a document's anchors lie: country / admin-1 shares and the sub-national medoid."""

    country_share: dict[str, float]
    admin1_share: dict[str, float]
    lat: float = math.nan
    lon: float = math.nan
    n_anchors: int = 0
    #: the document's publication place, when it has one
    publication: Place | None = None

    def features(self, place: Place, own: Place | None = None) -> tuple[float, float, float]:
        """(focus_country, focus_admin1, focus_km) of one candidate; ``own`` is the name's own
        anchor, removed so that a place never supports itself."""
        country = self.country_share.get(place.country_code, 0.0) if place.country_code else 0.0
        admin1 = self.admin1_share.get(place.admin1_key, 0.0) if place.admin1_key else 0.0
        if own is not None:  # an anchor's candidates: leave the document prior as it is
            return country, admin1, 0.0
        if math.isnan(self.lat):
            return country, admin1, 0.0
        return country, admin1, _log_km(place, self.lat, self.lon)

    def publication_km(self, place: Place) -> float:
        """The ``publication_km`` feature of one candidate (0 without a publication place)."""
        if self.publication is None:
            return 0.0
        return _log_km(place, self.publication.lat, self.publication.lon)


def _log_km(place: Place, lat: float, lon: float) -> float:
    d = float(haversine_km(place.lat, place.lon, lat, lon))
    return math.log1p(d) / math.log(MAX_ERROR_KM)


def infer_focus(anchors: Sequence[Place], publication: Place | None = None) -> DocumentFocus:
    """The focus of a document from its anchors (each distinct name's place once) and, when
    given, its publication place (one more anchor, see the module docstring)."""
    if publication is not None:
        anchors = [*anchors, publication]
    if not anchors:
        return DocumentFocus({}, {})
    n = len(anchors)
    countries = Counter(p.country_code for p in anchors if p.country_code)
    sub = [p for p in anchors if p.kind in _SUBNATIONAL]
    admin1 = Counter(p.admin1_key for p in sub if p.admin1_key)
    lat = lon = math.nan
    if sub:
        pts = np.array([(p.lat, p.lon) for p in sub])
        d = haversine_km(pts[:, None, 0], pts[:, None, 1], pts[None, :, 0], pts[None, :, 1])
        lat, lon = (float(v) for v in pts[int(np.argmin(d.sum(axis=1)))])
    return DocumentFocus(
        {k: v / n for k, v in countries.items()},
        {k: v / len(sub) for k, v in admin1.items()} if sub else {},
        lat,
        lon,
        n,
        publication,
    )


def publication_anchor(gaz: Gazetteer, place: str) -> Place | None:
    """The gazetteer entity of a publication place as corpora and callers write it:
    ``gn:4717560`` (a GeoNames id, also bare digits), a gazetteer key (``admin1:US.TX``),
    or a name with its containing areas after commas ("Paris, Texas", "Paris, TX",
    "Lexington, Ky., US"): the most populous place of that name inside every named area,
    else the most populous of that name. ``None`` when nothing matches (or ``place`` is empty).
    """
    place = (place or "").strip()
    if not place:
        return None
    if place.isdigit():
        place = f"gn:{place}"
    if ":" in place and " " not in place:
        return gaz.get(place)
    head, *areas = [p.strip() for p in place.split(",") if p.strip()]
    found = [m.place for m in gaz.lookup(head) if m.place.kind not in ("continent", "region")]
    if not found:
        found = [m.place for m in gaz.lookup_backoff(head)]
    for area in areas:
        inside = [p for p in found if _inside(p, gaz.lookup(area) + gaz.lookup_abbreviation(area))]
        found = inside or found
    return max(found, key=lambda p: p.population, default=None)


def _inside(place: Place, areas: Sequence[NameMatch]) -> bool:
    """``place`` lies in one of the admin-1 areas or countries of ``areas``."""
    for m in areas:
        a = m.place
        if a.kind == "admin1" and place.admin1_key and place.admin1_key == a.admin1_key:
            return True
        if a.kind == "country" and place.country_code == a.country_code:
            return True
    return False


#: what may stand between a place and the area that contains it: "Charleston, W.Va.",
#: "Paris (Texas)", "Pandi, Bulacan"
_CONTAINER_GAP = frozenset({",", ", ", " (", ", the "})


def containers(
    text: str | None, spans: Sequence[tuple[int, int]], areas: Sequence[Sequence[Place]]
) -> list[tuple[set[str], set[str]]]:
    """Per mention, the (admin-1 keys, country codes) of the areas named right after it
    ("Charleston, W.Va." → ({"US.WV"}, {"US"})): ``spans`` are the mentions' offsets in
    ``text`` (sorted), ``areas`` each mention's area candidates (countries, admin-1 areas)."""
    out: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in spans]
    if not text:
        return out
    for i in range(len(spans) - 1):
        gap = text[spans[i][1] : spans[i + 1][0]]
        if gap not in _CONTAINER_GAP:
            continue
        for p in areas[i + 1]:
            if p.kind == "admin1":
                out[i][0].add(p.admin1_key)
            elif p.kind == "country":
                out[i][1].add(p.country_code)
    return out


def containment(place: Place, admin1_keys: set[str], countries: set[str]) -> float:
    """1 when ``place`` lies in an area named right after it (its admin-1 area, or its
    country when a country is named), else 0."""
    if place.admin1_key and place.admin1_key in admin1_keys:
        return 1.0
    return 1.0 if place.country_code and place.country_code in countries else 0.0


#: a name followed by its area (", France", " (Ontario)"): the writer says which one is meant
_QUALIFIED = re.compile(r"(?:,\s*|\s*\()[A-Z]")


def own_towns(sets, mentions, publication: Place | None, text: str | None) -> None:
    """A local paper's own town: each candidate set (``candidates``, ``mentions`` indices into
    ``mentions``) whose candidates hold the publication place keeps it alone — unless a
    mention of the name is qualified by an area ("Paris, France"), or the story names a place
    with no reading in the paper's country (a wire story from abroad: "Paris and Lyon", where
    context decides as before). The Sentinel-Echo of London, Kentucky means its town by
    "London": population put London, England first, and the publication place's distance
    features could not outweigh it — the local lexicon of Lieberman et al.'s LGL corpus,
    whose papers write their own town's name bare."""
    if publication is None or publication.kind not in ("city", "admin2"):
        return
    cc = publication.country_code
    if any(cs.candidates and all(m.place.country_code != cc for m in cs.candidates) for cs in sets):
        return
    for cs in sets:
        home = [m for m in cs.candidates if m.place.key == publication.key]
        ends = [mentions[i].end for i in cs.mentions]
        if home and not any(_QUALIFIED.match(text or "", e) for e in ends):
            cs.candidates = home


def _seats(cs) -> tuple[list[NameMatch], set[str]]:
    """The seat readings of a name shared with admin-1 areas — a national capital of an area's
    country ("Washington": D.C.), or a city of :data:`NAMESAKE_CITY_POPULATION` inside the area
    ("New York": New York City, an alternate name) — and the keys of those areas."""
    areas = [m.place for m in cs.candidates if m.main and m.place.kind == "admin1"]
    seats = [
        m
        for m in cs.candidates
        if m.place.kind == "city"
        and any(
            m.place.country_code == a.country_code
            and (
                m.place.is_capital
                or (
                    m.place.population >= NAMESAKE_CITY_POPULATION
                    and m.place.admin1_key == a.admin1_key
                )
            )
            for a in areas
        )
    ]
    if len(seats) != 1:
        return [], set()
    cc = seats[0].place.country_code
    return seats, {a.admin1_key for a in areas if a.country_code == cc}


def seat_namesakes(sets, mentions, text: str | None, publication: Place | None) -> None:
    """A name shared by admin-1 areas and their seat — a national capital of the area's country
    ("Washington": D.C. and the state) or a metropolis inside it ("New York": the city and the
    state) — loses its area readings (and is read as the seat where the seat is the largest city
    of the name) when every mention of the name stands alone
    (:func:`geoarena.nlp.mention_cues.stands_alone`: no list, qualifier, longer name or kind
    cue), no other name of the story is anchored in the area more than :data:`SEAT_NEAR_KM`
    from the seat ("Seattle", "Buffalo"; "Brooklyn" is the city's own) and the paper is not
    published there. By reading, 52 of the 54 "Washington" spans of CoNLL-2003 train and valid
    name the capital ("Israel's ambassador to Washington"; the other 2 a tennis player), and
    most bare "New York" spans the city ("flights between New York and Bogota", "In New York,
    Jason Dickson scattered 10 hits"); GeoVirus names these states in lists, as qualifiers or
    with "state" (``experiments/nlp_seat_namesakes.py``). A name that is also a country's
    ("Djibouti", "Luxembourg") keeps every reading."""
    if not SEAT_NAMESAKES or text is None:
        return
    anchors = document_anchors([cs.candidates for cs in sets], [bool(cs.alias) for cs in sets])
    for k, cs in enumerate(sets):
        seats, areas = _seats(cs)
        if not areas or any(m.place.kind == "country" for m in cs.candidates):
            continue
        if not all(stands_alone(text, mentions[i].start, mentions[i].end) for i in cs.mentions):
            continue
        seat = seats[0].place
        held = [a for j, a in enumerate(anchors) if j != k and a is not None]
        if any(
            p.admin1_key in areas and haversine_km(p.lat, p.lon, seat.lat, seat.lon) > SEAT_NEAR_KM
            for p in (*held, publication)
            if p is not None
        ):
            continue
        # the area goes; the seat stays alone when it is the largest city of the name
        # ("Washington"), else it competes with the others ("San Jose": California's is larger)
        rest = [
            m for m in cs.candidates if m.place.kind != "admin1" or m.place.admin1_key not in areas
        ]
        largest = max((m.place.population for m in rest if m.place.kind == "city"), default=0)
        cs.candidates = seats if seat.population >= largest else rest
