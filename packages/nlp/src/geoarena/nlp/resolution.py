"""Toponym resolution: pick the gazetteer entry each mention refers to.

Three resolvers share one surface, ``resolve(text, mentions) -> list[Resolved]``:

* :class:`PopulationResolver` — the most populous candidate (the usual baseline);
* :class:`ContextResolver` — a weighted score of population / feature-class priors, the
  countries and admin-1 areas named elsewhere in the same document, and spatial coherence
  (distance to the document's other resolved toponyms), refined over two passes;
* :class:`LearnedRanker` — LightGBM lambdarank over the same features, trained on a training
  split of documents with gold coordinates.

One sense per discourse: every occurrence of the same normalised name in a document resolves
to the same place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from geoarena.core.errors import ConfigError
from geoarena.nlp.conventions import convention_of, place_point
from geoarena.nlp.focus import anchor_place, containers, containment, infer_focus
from geoarena.nlp.gazetteer import Gazetteer, NameMatch, Place
from geoarena.nlp.geo_metrics import ACC_KM, MAX_ERROR_KM, haversine_km
from geoarena.nlp.normalize import normalize_name
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
)

#: how back-off entries (admin-2 areas, admin-1 families) reach the candidate list, see
#: :func:`generate_candidates`
BACKOFF_MODES = ("fallback", "suffix", "merge")
#: with ``merge``, an admin-2 area this close to an ordinary candidate of its country is left
#: out: that candidate is its namesake seat ("Los Angeles" County, "Melbourne" City), and the
#: city, not the area, is what the name means (chosen on GeoVirus' training split)
SEAT_KM = 50.0


@dataclass(frozen=True, slots=True)
class Resolved:
    """A mention and the place chosen for it (``None`` when the gazetteer has no candidate);
    ``demonym`` when the mention is a demonym or adjectival form ("Russian") of the place."""

    mention: Mention
    place: Place | None
    score: float = 0.0
    n_candidates: int = 0
    demonym: bool = False


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


def _is_seat_area(p: Place, ordinary: Sequence[NameMatch]) -> bool:
    """An admin-2 area with an ordinary namesake of its country within :data:`SEAT_KM`."""
    if p.kind != "admin2":
        return False
    return any(
        m.place.country_code == p.country_code
        and float(haversine_km(m.place.lat, m.place.lon, p.lat, p.lon)) <= SEAT_KM
        for m in ordinary
    )


def alias_kind(gaz: Gazetteer, name: str) -> str:
    """``abbrev`` when ``name`` is a US state abbreviation as written ("W.Va.", "Calif." — also
    without its final dot, as NER spans end — or a postal code), ``demonym`` when it is a
    demonym or adjectival form ("Russian", "Americans"), else ``""``."""
    if gaz.lookup_abbreviation(name) or (
        not name.endswith(".") and gaz.lookup_abbreviation(name + ".")
    ):
        return "abbrev"
    return "demonym" if gaz.lookup_demonym(name) else ""


def alias_candidates(gaz: Gazetteer, name: str) -> list[NameMatch]:
    """The entity an abbreviation or demonym names (empty for other names)."""
    kind = alias_kind(gaz, name)
    if kind == "abbrev":
        return list(gaz.lookup_abbreviation(name) or gaz.lookup_abbreviation(name + "."))
    return list(gaz.lookup_demonym(name)) if kind == "demonym" else []


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
    (its namesake seat). Chosen on GeoVirus' training split by
    ``experiments/nlp_entity_rules.py``.
    """
    if backoff not in BACKOFF_MODES:
        raise ConfigError(f"unknown backoff mode {backoff!r}; choose one of {BACKOFF_MODES}")
    aliased = alias_candidates(gaz, name)
    if aliased:  # an abbreviation or demonym names one entity: no other reading competes
        return aliased[:max_candidates]
    found: list[NameMatch] = []
    if backoff == "merge":
        for v in (name, *_variants(name)):
            ordinary = list(gaz.lookup(v))
            keys = {m.place.key for m in ordinary}
            found = ordinary + [
                m
                for m in gaz.lookup_backoff(v)
                if m.place.key not in keys and not _is_seat_area(m.place, ordinary)
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

    def sets(self, mentions: Sequence[Mention], text: str | None = None) -> list[CandidateSet]:
        by_norm: dict[str, CandidateSet] = {}
        for i, m in enumerate(mentions):
            key = normalize_name(m.text)
            if key not in by_norm:
                by_norm[key] = CandidateSet(
                    key,
                    [],
                    generate_candidates(self.gaz, m.text, self.max_candidates, self.backoff),
                    alias=alias_kind(self.gaz, m.text),
                )
            by_norm[key].mentions.append(i)
        sets = list(by_norm.values())
        self._context(sets)
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

    def _context(self, sets: list[CandidateSet]) -> None:
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
        from collections import Counter

        n_country = Counter(cc for cs_ in country_of for cc in cs_)
        n_admin1 = Counter(a for as_ in admin1_of for a in as_)
        n_top = Counter(top_country)
        anchors = [anchor_place(cs.candidates, bool(cs.alias)) for cs in sets]
        focus = infer_focus([a for a in anchors if a is not None])
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
                    min(3.0, n_country[cc] - (cc in country_of[k])) if cc else 0.0,
                    min(3.0, n_admin1[a1] - (a1 in admin1_of[k])) if a1 else 0.0,
                    min(5.0, n_top[cc] - (top_country[k] == cc)) if cc else 0.0,
                    0.0,  # spread: filled per pass
                    float(n),
                    *focus.features(p, anchors[k]),
                    0.0,  # contained: filled by _containment
                )
            cs.features = feats


def _spread(sets: list[CandidateSet], chosen: list[int]) -> None:
    """Median distance (scaled log km) of each candidate to the other names' current choices."""
    pts = np.array(
        [
            (cs.candidates[c].place.lat, cs.candidates[c].place.lon) if c >= 0 else (np.nan, np.nan)
            for cs, c in zip(sets, chosen)
        ],
        dtype=np.float64,
    )
    col = FEATURES.index("spread")
    # areas (countries, continents, macro-regions) say little about where a city is: use
    # cities and areas inside one country only
    usable = np.array(
        [
            c >= 0
            and (
                sets[j].candidates[c].place.kind == "city"
                or _within_country(sets[j].candidates[c].place)
            )
            for j, c in enumerate(chosen)
        ],
        dtype=bool,
    )
    for k, cs in enumerate(sets):
        if not cs.candidates:
            continue
        mask = usable.copy()
        mask[k] = False
        if not mask.any():
            cs.features[:, col] = 0.0
            continue
        lat = np.array([m.place.lat for m in cs.candidates])[:, None]
        lon = np.array([m.place.lon for m in cs.candidates])[:, None]
        d = haversine_km(lat, lon, pts[mask, 0][None, :], pts[mask, 1][None, :])
        cs.features[:, col] = np.log1p(np.median(d, axis=1)) / math.log(MAX_ERROR_KM)


@dataclass
class ContextWeights:
    """Weights of :class:`ContextResolver`'s linear score (tuned on the training split by
    ``experiments/nlp_tune_context.py``; the focus weights by ``experiments/nlp_focus_features.py``)."""

    log_pop: float = 1.5
    main_name: float = 0.5
    is_capital: float = 0.8
    kind_admin1: float = 0.5
    kind_country: float = 3.0
    kind_continent: float = 2.0
    ctx_country: float = 0.5
    ctx_admin1: float = 1.0
    ctx_same_country_mentions: float = 0.4
    spread: float = -6.0
    # document focus (geoarena.nlp.focus): the strongest prior within 0.002 of the best train
    # objective (experiments/nlp_focus_features.py; train 0.7925 → 0.7917, val 0.7917 both)
    focus_country: float = 1.0
    focus_admin1: float = 0.0
    focus_km: float = -2.0
    # "Charleston, W.Va.": the strongest weight within 0.002 of the best train objective
    # (experiments/nlp_containment.py; train 0.7917 → 0.7910, AUC 0.3384 → 0.3378; val 0.7917)
    contained: float = 3.0

    def vector(self) -> np.ndarray:
        w = np.zeros(len(FEATURES))
        for k, v in asdict(self).items():
            w[FEATURES.index(k)] = v
        return w


class _BaseResolver:
    name = "base"

    def __init__(self, gaz: Gazetteer, max_candidates: int = 40, backoff: str = "merge"):
        self.gaz = gaz
        self.features = _DocumentFeatures(gaz, max_candidates, backoff)

    def scores(self, sets: list[CandidateSet]) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def resolve(self, text: str, mentions: Sequence[Mention]) -> list[Resolved]:
        sets = self.features.sets(mentions, text)
        scores = self.scores(sets)
        out: list[Resolved | None] = [None] * len(mentions)
        for cs, sc in zip(sets, scores):
            if len(cs.candidates) == 0:
                for i in cs.mentions:
                    out[i] = Resolved(mentions[i], None, 0.0, 0)
                continue
            best = int(np.argmax(sc))
            # a softmax over candidates: a confidence the caller can threshold
            z = np.exp(sc - sc.max())
            conf = float(z[best] / z.sum())
            for i in cs.mentions:
                out[i] = Resolved(
                    mentions[i],
                    cs.candidates[best].place,
                    conf,
                    len(cs.candidates),
                    cs.alias == "demonym",
                )
        return out  # type: ignore[return-value]


class PopulationResolver(_BaseResolver):
    """Baseline: the most populous candidate, whatever the context."""

    name = "population"

    def scores(self, sets):
        return [cs.features[:, FEATURES.index("log_pop")] for cs in sets]


class ContextResolver(_BaseResolver):
    """Linear score over priors + document context + spatial coherence, two passes."""

    name = "context"

    def __init__(
        self,
        gaz: Gazetteer,
        weights: ContextWeights | None = None,
        passes: int = 2,
        max_candidates: int = 40,
        backoff: str = "merge",
    ):
        super().__init__(gaz, max_candidates, backoff)
        self.weights = weights or ContextWeights()
        self.passes = passes

    def _score(self, sets, w):
        return [cs.features @ w for cs in sets]

    def scores(self, sets):
        w = self.weights.vector()
        w_prior = w.copy()
        w_prior[FEATURES.index("spread")] = 0.0
        scores = self._score(sets, w_prior)
        for _ in range(self.passes):
            chosen = [int(np.argmax(s)) if len(s) else -1 for s in scores]
            _spread(sets, chosen)
            scores = self._score(sets, w)
        return scores


class LearnedRanker(_BaseResolver):
    """LightGBM lambdarank over :data:`FEATURES`; spread comes from a first context pass."""

    name = "learned"

    def __init__(self, gaz: Gazetteer, model=None, max_candidates: int = 40, seed: int = 0):
        super().__init__(gaz, max_candidates)
        self.model = model
        self.seed = seed
        self._context = ContextResolver(gaz, max_candidates=max_candidates)

    def _featurize(
        self, mentions: Sequence[Mention], text: str | None = None
    ) -> list[CandidateSet]:
        sets = self.features.sets(mentions, text)
        prior = self._context.scores(sets)  # fills the spread column from context choices
        del prior
        return sets

    def scores(self, sets):
        if self.model is None:
            raise ConfigError("LearnedRanker has no model: call fit() or load() first")
        self._context.scores(sets)
        return [
            self.model.predict(cs.features) if len(cs.candidates) else np.zeros(0) for cs in sets
        ]

    def training_rows(self, docs, id_points=None) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(features, relevance, group sizes) from documents with gold coordinates; a candidate
        is relevant when its point under the document corpus's convention is within 161 km of
        the gold point (``id_points``: see :func:`~geoarena.nlp.conventions.corpus_id_points`)."""
        xs, ys, groups = [], [], []
        for doc in docs:
            conv = convention_of(doc.corpus)
            gold = [t for t in doc.toponyms if t.resolvable]
            mentions = [Mention(t.start, t.end, t.name) for t in gold]
            sets = self._featurize(mentions, doc.text)
            for cs in sets:
                if len(cs.candidates) < 2:
                    continue
                t = gold[cs.mentions[0]]
                pts = np.array(
                    [place_point(m.place, conv, self.gaz, id_points) for m in cs.candidates]
                )
                d = haversine_km(pts[:, 0], pts[:, 1], t.lat, t.lon)
                rel = (d <= ACC_KM).astype(np.int32)
                if rel.sum() == 0:
                    continue  # no candidate is right: nothing to learn from this name
                xs.append(cs.features)
                ys.append(rel)
                groups.append(len(cs.candidates))
        if not xs:
            raise ConfigError(
                "no training rows: the documents have no resolvable, ambiguous toponyms"
            )
        return np.vstack(xs), np.concatenate(ys), groups

    def fit(
        self,
        docs,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        id_points=None,
    ) -> dict[str, float]:
        import lightgbm as lgb

        x, y, groups = self.training_rows(docs, id_points)
        self.model = lgb.LGBMRanker(
            objective="lambdarank",
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            num_leaves=num_leaves,
            min_child_samples=5,
            random_state=self.seed,
            deterministic=True,
            force_row_wise=True,
            n_jobs=1,
            verbose=-1,
        )
        self.model.fit(x, y, group=groups)
        return {"rows": float(len(y)), "groups": float(len(groups))}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model.booster_.model_to_string())

    def load(self, path: str | Path) -> LearnedRanker:
        import lightgbm as lgb

        self.model = lgb.Booster(model_str=Path(path).read_text())
        return self


def make_resolver(name: str, gaz: Gazetteer, **kwargs) -> _BaseResolver:
    """``population`` | ``context`` | ``learned`` → a resolver."""
    table = {"population": PopulationResolver, "context": ContextResolver, "learned": LearnedRanker}
    if name not in table:
        raise ConfigError(f"unknown resolver {name!r}; choose one of {', '.join(table)}")
    return table[name](gaz, **kwargs)


__all__ = [
    "FEATURES",
    "ContextResolver",
    "ContextWeights",
    "LearnedRanker",
    "PopulationResolver",
    "Resolved",
    "generate_candidates",
    "make_resolver",
]
