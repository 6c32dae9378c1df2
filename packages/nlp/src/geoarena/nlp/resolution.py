"""Toponym resolution: pick the gazetteer entry each mention refers to.

Three resolvers share one surface, ``resolve(text, mentions) -> list[Resolved]``:

* :class:`PopulationResolver` — the most populous candidate (the usual baseline);
* :class:`ContextResolver` — a weighted score of population / feature-class priors, the
  countries and admin-1 areas named elsewhere in the same document, and spatial coherence
  (distance to the document's other resolved toponyms), refined until the choices hold;
* :class:`LearnedRanker` — LightGBM lambdarank over the same features, trained on a training
  split of documents with gold coordinates.

One sense per discourse: every occurrence of the same normalised name in a document resolves
to the same place.

Candidate generation and the feature matrix live in :mod:`geoarena.nlp.candidates`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from geoarena.core.errors import ConfigError
from geoarena.nlp.candidates import (
    BACKOFF_MODES,
    FEATURES,
    CandidateSet,
    _DocumentFeatures,
    generate_candidates,
)
from geoarena.nlp.coherence import _spread
from geoarena.nlp.conventions import convention_of, place_point
from geoarena.nlp.focus import publication_anchor
from geoarena.nlp.gazetteer import Gazetteer, Place
from geoarena.nlp.geo_metrics import ACC_KM, haversine_km
from geoarena.nlp.recognition import Mention


@dataclass(frozen=True, slots=True)
class Resolved:
    """A mention and the place chosen for it (``None`` when the gazetteer has no candidate);
    ``demonym`` when the mention is a demonym or adjectival form ("Russian") of the place."""

    mention: Mention
    place: Place | None
    score: float = 0.0
    n_candidates: int = 0
    demonym: bool = False


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
    # publication place (geoarena.nlp.focus): not fitted — GeoVirus, the one corpus the
    # project has, carries none — but set to focus_km's trained weight, since the publication
    # place is an anchor whose position is known rather than inferred
    publication_km: float = -2.0
    # the nearest other name's choice lowered train acc@161 at every weight (0.7910 → 0.7902 at
    # −0.5): the learned ranker alone reads it (experiments/nlp_coherence_weights.py)
    near: float = 0.0
    # a town and its county named together: neutral on train at every weight ≥ 0.5, the
    # strongest kept as for ``contained`` (same experiment, --feature county_mate)
    county_mate: float = 5.0

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

    def resolve(
        self, text: str, mentions: Sequence[Mention], publication: Place | None = None
    ) -> list[Resolved]:
        """The place of every mention; ``publication`` is the document's publication place
        when known (:func:`geoarena.nlp.focus.publication_anchor` reads one from a name)."""
        sets = self.features.sets(mentions, text, publication)
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
    """Linear score over priors + document context + spatial coherence. The coherence of a
    candidate is measured against the other names' current choices, so the choices are refined
    until they no longer change (at most ``passes`` rounds): in "Athens … Decatur, Madison and
    Huntsville" two rounds left Madison in Wisconsin and Athens in Georgia, the third brings
    both to Alabama. Stopping after two rounds gave the same figures on GeoVirus train/val."""

    name = "context"

    def __init__(
        self,
        gaz: Gazetteer,
        weights: ContextWeights | None = None,
        passes: int = 10,
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
        w_prior[[FEATURES.index("spread"), FEATURES.index("near")]] = 0.0
        scores = self._score(sets, w_prior)
        chosen: list[int] | None = None
        seen: list[list[int]] = []
        for _ in range(self.passes):
            now = [int(np.argmax(s)) if len(s) else -1 for s in scores]
            if now == chosen:  # a fixed point: the scores already rest on these choices
                break
            if now in seen:  # a cycle: names that moved together keep swapping back
                return self._settle(sets, w, seen[seen.index(now) :])
            seen.append(now)
            chosen = now
            _spread(sets, chosen)
            scores = self._score(sets, w)
        return scores

    def _settle(self, sets, w, cycle: list[list[int]]) -> list[np.ndarray]:
        """Scores at the best joint choice reachable from a cycle of simultaneous updates.

        Moving every name at once can swap two names back and forth for ever: each moves next
        to where the other just was ("Franklin" to Tennessee while "Williamson County" leaves
        Tennessee for Texas, then back), and the answer would depend on when the rounds run
        out. From every state of the cycle, names are moved one at a time (iterated
        conditional modes: each to its best candidate given the others' current choices) until
        none moves; of the states reached, the one whose choices score highest together wins —
        there, both in Tennessee. GeoVirus' train and validation documents never cycle."""
        best: tuple[float, list[int]] | None = None
        for start in cycle:
            state = list(start)
            for _ in range(self.passes):
                moved = False
                for k, cs in enumerate(sets):
                    if not cs.candidates:
                        continue
                    _spread(sets, state, only=k)
                    pick = int(np.argmax(cs.features @ w))
                    moved |= pick != state[k]
                    state[k] = pick
                if not moved:
                    break
            _spread(sets, state)
            total = sum(float(cs.features[c] @ w) for cs, c in zip(sets, state) if c >= 0)
            if best is None or total > best[0]:
                best = (total, state)
        assert best is not None
        _spread(sets, best[1])
        return self._score(sets, w)


class LearnedRanker(_BaseResolver):
    """LightGBM lambdarank over :data:`FEATURES`; spread comes from a first context pass."""

    name = "learned"

    def __init__(self, gaz: Gazetteer, model=None, max_candidates: int = 40, seed: int = 0):
        super().__init__(gaz, max_candidates)
        self.model = model
        self.seed = seed
        self._context = ContextResolver(gaz, max_candidates=max_candidates)

    def _featurize(
        self, mentions: Sequence[Mention], text: str | None = None, publication=None
    ) -> list[CandidateSet]:
        sets = self.features.sets(mentions, text, publication)
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
        the gold point (``id_points``: see :func:`~geoarena.nlp.conventions.corpus_id_points`).
        Gold toponyms without coordinates are context for the features, never rows."""
        xs, ys, groups = [], [], []
        for doc in docs:
            conv = convention_of(doc.corpus)
            gold = doc.toponyms
            mentions = [Mention(t.start, t.end, t.name) for t in gold]
            pub = publication_anchor(self.gaz, doc.publication_place)
            sets = self._featurize(mentions, doc.text, pub)
            for cs in sets:
                known = [i for i in cs.mentions if gold[i].resolvable]
                if len(cs.candidates) < 2 or not known:
                    continue
                t = gold[known[0]]
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
    "BACKOFF_MODES",
    "FEATURES",
    "ContextResolver",
    "ContextWeights",
    "LearnedRanker",
    "PopulationResolver",
    "Resolved",
    "generate_candidates",
    "make_resolver",
]
