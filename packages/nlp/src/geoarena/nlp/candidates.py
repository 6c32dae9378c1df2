"""Candidates of toponym resolution and their features: the gazetteer entries a name may refer
to (:func:`generate_candidates`, with demonyms, abbreviations and back-off entries) and the
per-document feature matrix (:data:`FEATURES`) every resolver of
:mod:`geoarena.nlp.resolution` scores."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from geoarena.core.errors import ConfigError
from geoarena.nlp import focus as doc_focus
from geoarena.nlp.county_mates import county_mates
from geoarena.nlp.focus import containers, containment, document_anchors, infer_focus
from geoarena.nlp.gazetteer import Gazetteer, NameMatch, Place
from geoarena.nlp.geo_metrics import haversine_km
from geoarena.nlp.mention_cues import apply_cues
from geoarena.nlp.newsnames import alias_candidates, alias_kind
from geoarena.nlp.normalize import compact_key, normalize_name
from geoarena.nlp.recognition import Mention

KINDS = ("city", "admin1", "country", "continent")
FEATURES = (
    "log_pop",
    "pop_share",
    "pop_rank",
    "main_name",
    "is_capital",
    "kind_city",
    "kind_admin1",
    "kind_country",
    "kind_continent",
    "ctx_country",
    "ctx_admin1",
    "ctx_same_country_mentions",
    "spread",
    "n_candidates",
    "focus_country",
    "focus_admin1",
    "focus_km",
    "contained",
    # last, so that the columns before keep their place (0 without a publication place)
    "publication_km",
    # after it, for the same reason: the distance to the nearest other name's choice, and a
    # town in a county the story names or a county holding a town it names (county_mates)
    "near",
    "county_mate",
)

#: how back-off entries (admin-2 areas, admin-1 families) reach the candidate list, see
#: :func:`generate_candidates`
BACKOFF_MODES = ("fallback", "suffix", "merge")
#: with ``merge``, an admin-2 area this close to an ordinary candidate of its country is left
#: out: that candidate is its namesake seat ("Los Angeles" County, "Melbourne" City), and the
#: city, not the area, is what the name means (chosen on GeoVirus' training split)
SEAT_KM = 50.0
#: with ``merge``, an admin-2 area found only under its stem ("Reno" for "Reno County") is left
#: out when the name has an ordinary candidate of the area's country, whatever the distance
#: (see :func:`_is_stem_shadowed`); off restores the seat rule alone
STEM_RULE = True
#: a city found only under an alternate name is left out when a city of its country bears
#: the name as its own (see :func:`_is_alternate_shadowed`); off keeps every alternate name
ALTERNATE_RULE = True
#: a city of this many people that bears the name of its own admin-1 area is what the name
#: means ("Tokyo", "São Paulo", "Buenos Aires"): the area is left out (see
#: :func:`_is_metropolis_area`; 0 keeps every such area)
METROPOLIS_POPULATION = 1_000_000


def _variants(name: str) -> list[str]:
    """Fallback spellings for a surface form the gazetteer does not know as such."""
    out = []
    for suffix in (" City", " Province", " State", " County", " District", " Region", " Island"):
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            out.append(name[: -len(suffix)])
    if name.lower().startswith("city of "):
        out.append(name[8:])
    if name.endswith(("'s", "’s")):
        out.append(name[:-2])
    return out


def _within_country(p: Place) -> bool:
    """An area inside one country: an admin-1 area, or a region made of admin-1 areas (an
    admin-1 family such as "Darfur"); it counts as ``kind_admin1`` in the features."""
    return p.kind == "admin1" or (p.kind == "region" and bool(p.country_code))


def _locates(p: Place) -> bool:
    """A place small enough to say where its neighbours in a text are: a city, an admin-2
    area (a county) or an area inside one country."""
    return p.kind in ("city", "admin2") or _within_country(p)


def _supranational(p: Place) -> bool:
    """A continent, or a region made of countries ("West Africa", "Middle East"); it counts as
    ``kind_continent`` in the features."""
    return p.kind == "continent" or (p.kind == "region" and not p.country_code)


@dataclass
class CandidateSet:
    """Candidates of one distinct surface name in a document, with their feature rows."""

    norm: str
    mentions: list[int]
    candidates: list[NameMatch]
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, len(FEATURES))))
    #: found as a demonym / abbreviation (one entity by construction), not under a name
    alias: str = ""
    #: the discourse entity it names: a demonym's set shares its place's own name's ("Georgian"
    #: and "Georgia"), so that neither counts as context for the other (:func:`link_senses`)
    sense: str = ""


def _is_seat_area(p: Place, ordinary: Sequence[NameMatch]) -> bool:
    """An admin-2 area with an ordinary namesake of its country within :data:`SEAT_KM`."""
    if p.kind != "admin2":
        return False
    return any(
        m.place.country_code == p.country_code
        and float(haversine_km(m.place.lat, m.place.lon, p.lat, p.lon)) <= SEAT_KM
        for m in ordinary
    )


def _is_stem_shadowed(p: Place, written: str, ordinary: Sequence[NameMatch]) -> bool:
    """An admin-2 area matched only by its stem — ``written`` lacks the area's generic part
    ("Reno" for "Reno County", "Pangasinan" for "Province of Pangasinan"; the back-off table
    holds both forms) — while an ordinary candidate of its country has that name (the town
    Reno, Texas). News style writes a county with its suffix, so a bare name that also names a
    town of the same country is the town, however far the two are apart; the full name ("Reno
    County") and areas named without a suffix ("Fife") are unaffected."""
    if not STEM_RULE or p.kind != "admin2":
        return False
    if normalize_name(written) == normalize_name(p.name) or compact_key(written) == compact_key(
        p.name
    ):
        return False
    return any(m.place.country_code == p.country_code for m in ordinary)


def _is_alternate_shadowed(m: NameMatch, ordinary: Sequence[NameMatch]) -> bool:
    """A city found under one of its alternate names while a city of its country bears that
    name as its own: GeoNames keeps former and variant names ("Franklin" for Columbus and El
    Paso, "Frisco" for San Francisco, "Hollywood" for Daphne, Alabama), but a writer who
    means the big city writes its name, and the town called so is what the name means in that
    country. A country's own name shadows them all ("Mexico" is no alternate name of Mexico
    City, "Kuwait" none of Kuwait City). Other countries' cities keep their alternate names
    ("Canton" is still Guangzhou beside Canton, Ohio; "Kiev" is Kyiv) and admin-1 areas shadow
    nothing ("New York" keeps New York City beside the state)."""
    if not ALTERNATE_RULE or m.main or m.place.kind != "city":
        return False
    cc = m.place.country_code
    return any(
        o.main
        and (o.place.kind == "country" or (o.place.kind == "city" and o.place.country_code == cc))
        for o in ordinary
    )


def _is_metropolis_area(p: Place, ordinary: Sequence[NameMatch]) -> bool:
    """An admin-1 area that shares its name with a city of :data:`METROPOLIS_POPULATION` of
    its country (inside it, or a district of its own beside it: Buenos Aires). News means the
    city: the prefecture's point lies 341 km from Tokyo (its islands pull the hull), the
    provinces' 248 and 311 km from São Paulo and Buenos Aires; states named otherwise ("New
    York": the city is "New York City") and smaller capitals ("Quebec") keep both readings."""
    if not METROPOLIS_POPULATION or p.kind != "admin1":
        return False
    return any(
        m.main
        and m.place.kind == "city"
        and m.place.population >= METROPOLIS_POPULATION
        and m.place.country_code == p.country_code
        for m in ordinary
    )


def generate_candidates(
    gaz: Gazetteer, name: str, max_candidates: int, backoff: str = "merge"
) -> list[NameMatch]:
    """Gazetteer entries under ``name`` (or a fallback variant), most populous first.

    ``backoff`` says when back-off entries (admin-2 areas, admin-1 families) are looked up:
    ``fallback`` only when neither the name nor a suffix variant has an ordinary entry (the
    rule before); ``suffix`` also for the name as written before its suffix variants, so that
    "Scott County" finds the county before "Scott" finds a town; ``merge`` (default) always,
    beside the ordinary entries of the first form that has any, so that context can pick the
    Philippine province "Pangasinan" or the Scottish council area "Fife" over a namesake town,
    except an admin-2 area within :data:`SEAT_KM` of an ordinary candidate of its country
    (its namesake seat) and an admin-2 area matched only by its stem ("Reno" for "Reno
    County") while an ordinary candidate of its country bears the name (:data:`STEM_RULE`:
    news style writes counties with "County", and a bare name that also names a town of the
    same country is almost always the town, near or far). ``merge`` and the seat rule were
    chosen on GeoVirus' training split by ``experiments/nlp_entity_rules.py``; the stem rule,
    added for US local news, is neutral there (train and val acc@161 and AUC unchanged).
    """
    if backoff not in BACKOFF_MODES:
        raise ConfigError(f"unknown backoff mode {backoff!r}; choose one of {BACKOFF_MODES}")
    aliased = alias_candidates(gaz, name)
    if aliased:  # an abbreviation or demonym names its entity: no other reading competes
        return aliased[:max_candidates]
    found: list[NameMatch] = []
    if backoff == "merge":
        for v in (name, *_variants(name)):
            ordinary = list(gaz.lookup(v))
            ordinary = [
                m
                for m in ordinary
                if not _is_alternate_shadowed(m, ordinary)
                and not _is_metropolis_area(m.place, ordinary)
            ]
            keys = {m.place.key for m in ordinary}
            found = ordinary + [
                m
                for m in gaz.lookup_backoff(v)
                if m.place.key not in keys
                and not _is_seat_area(m.place, ordinary)
                and not _is_stem_shadowed(m.place, v, ordinary)
            ]
            if found:
                break
    else:
        found = list(gaz.lookup(name))
        if not found and backoff == "suffix":
            found = list(gaz.lookup_backoff(name))
        if not found:
            for v in _variants(name):
                found = list(gaz.lookup(v))
                if found:
                    break
        if not found:  # back-off entries only for names nothing else is known under
            for v in (name, *_variants(name)):
                found = list(gaz.lookup_backoff(v))
                if found:
                    break
    # areas before equally populous cities; main names before alternate names
    found.sort(
        key=lambda m: (-(m.place.population + (1 if m.place.kind != "city" else 0)), not m.main)
    )
    return found[:max_candidates]


class _DocumentFeatures:
    """Builds the candidate feature matrix of one document (shared by every resolver)."""

    def __init__(self, gaz: Gazetteer, max_candidates: int = 40, backoff: str = "merge"):
        self.gaz = gaz
        self.max_candidates = max_candidates
        self.backoff = backoff

    def sets(
        self, mentions: Sequence[Mention], text: str | None = None, publication: Place | None = None
    ) -> list[CandidateSet]:
        """Candidate sets of a document's mentions (one per distinct name) with their features;
        ``publication`` is the document's publication place (see :mod:`geoarena.nlp.focus`)."""

        def more(name: str) -> list[NameMatch]:
            return generate_candidates(self.gaz, name, self.max_candidates, self.backoff)

        by_norm: dict[str, CandidateSet] = {}
        for i, m in enumerate(mentions):
            key = normalize_name(m.text)
            if key not in by_norm:
                alias = alias_kind(self.gaz, m.text)
                by_norm[key] = CandidateSet(key, [], more(m.text), alias=alias)
            by_norm[key].mentions.append(i)
        sets = link_senses(list(by_norm.values()))
        for cs in sets:  # "a Peru man", "Cobb counties", "Georgian President": cues
            spans = [(mentions[i].start, mentions[i].end) for i in cs.mentions]
            name, areas = mentions[cs.mentions[0]].text, self.gaz.lookup_backoff
            cs.candidates = apply_cues(cs.candidates, spans, text, name, more, areas, cs.alias)
        doc_focus.own_towns(sets, mentions, publication, text)  # a local paper's "London"
        doc_focus.seat_namesakes(sets, mentions, text, publication)  # bare "Washington"
        self._context(sets, publication)
        self._containment(sets, mentions, text)
        return sets

    def _containment(self, sets: list[CandidateSet], mentions, text: str | None) -> None:
        """The ``contained`` column: a candidate inside the area named right after one of its
        mentions ("Charleston, W.Va."); a name counts once contained where any mention is."""
        col = FEATURES.index("contained")
        set_of = {i: cs for cs in sets for i in cs.mentions}
        order = sorted(range(len(mentions)), key=lambda i: mentions[i].start)
        areas = [
            [
                m.place
                for m in set_of[i].candidates
                if m.main and m.place.kind in ("admin1", "country")
            ]
            for i in order
        ]
        spans = [(mentions[i].start, mentions[i].end) for i in order]
        for i, (a1, cc) in zip(order, containers(text, spans, areas)):
            cs = set_of[i]
            if not (a1 or cc) or not cs.candidates:
                continue
            vals = np.array([containment(m.place, a1, cc) for m in cs.candidates])
            cs.features[:, col] = np.maximum(cs.features[:, col], vals)

    def _context(self, sets: list[CandidateSet], publication: Place | None = None) -> None:
        # Which countries / admin-1 areas the other names of the document can denote.
        country_of: list[set[str]] = []
        admin1_of: list[set[str]] = []
        top_country: list[str] = []
        for cs in sets:
            countries = {
                m.place.country_code
                for m in cs.candidates
                if (m.place.kind == "country" or _within_country(m.place)) and m.main
            }
            admins = {
                m.place.admin1_key for m in cs.candidates if m.place.kind == "admin1" and m.main
            }
            country_of.append(countries)
            admin1_of.append(admins)
            top_country.append(cs.candidates[0].place.country_code if cs.candidates else "")
        # document-wide counts, each name counted once; a name's own contribution is removed
        # below so that a place never supports itself
        # (each discourse entity once: "Georgia" and "Georgian" are one)
        sense_c: dict[str, set[str]] = {cs.sense: set() for cs in sets}
        sense_a: dict[str, set[str]] = {cs.sense: set() for cs in sets}
        sense_top: dict[str, str] = {}
        for cs, cc_, a1_, top in zip(sets, country_of, admin1_of, top_country):
            sense_c[cs.sense] |= cc_
            sense_a[cs.sense] |= a1_
            sense_top.setdefault(cs.sense, top)
        n_country = Counter(cc for cs_ in sense_c.values() for cc in cs_)
        n_admin1 = Counter(a for as_ in sense_a.values() for a in as_)
        n_top = Counter(sense_top.values())
        anchors = document_anchors(
            [cs.candidates for cs in sets], [bool(cs.alias) for cs in sets], publication
        )
        focus = infer_focus([a for a in anchors if a is not None], publication)
        mates = county_mates([[m.place for m in cs.candidates] for cs in sets])
        for k, cs in enumerate(sets):
            n = len(cs.candidates)
            feats = np.zeros((n, len(FEATURES)), dtype=np.float64)
            if n == 0:
                cs.features = feats
                continue
            pops = np.array([m.place.population for m in cs.candidates], dtype=np.float64)
            maxpop = max(pops.max(), 1.0)
            order = np.argsort(-pops, kind="stable")
            rank = np.empty(n)
            rank[order] = np.arange(n)
            for r, m in enumerate(cs.candidates):
                p = m.place
                cc = p.country_code
                a1 = p.admin1_key
                feats[r] = (
                    math.log10(p.population + 1),
                    p.population / maxpop,
                    rank[r],
                    float(m.main),
                    float(p.is_capital),
                    float(p.kind == "city"),
                    float(_within_country(p)),
                    float(p.kind == "country"),
                    float(_supranational(p)),
                    min(3.0, n_country[cc] - (cc in sense_c[cs.sense])) if cc else 0.0,
                    min(3.0, n_admin1[a1] - (a1 in sense_a[cs.sense])) if a1 else 0.0,
                    min(5.0, n_top[cc] - (sense_top[cs.sense] == cc)) if cc else 0.0,
                    0.0,  # spread: filled per pass
                    float(n),
                    *focus.features(p, anchors[k]),
                    0.0,  # contained: filled by _containment
                    focus.publication_km(p),
                    0.0,  # near: filled per pass, with spread
                    mates[k][r],
                )
            cs.features = feats


def link_senses(sets: list[CandidateSet]) -> list[CandidateSet]:
    """Set each set's :attr:`CandidateSet.sense`: its own name, or for a demonym the name of
    its place when the document also writes that ("Georgian" beside "Georgia"). Without it the
    two support each other as context: a Georgia paper's "Russian troops moved into Georgia
    … Georgian forces" kept both in the US state, each the other's evidence."""
    names = {cs.norm for cs in sets if not cs.alias}
    for cs in sets:
        own = {normalize_name(m.place.name) for m in cs.candidates} & names
        cs.sense = min(own) if cs.alias == "demonym" and own else cs.norm
    return sets
