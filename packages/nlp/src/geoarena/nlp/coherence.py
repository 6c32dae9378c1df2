"""Spatial coherence of a document's readings: how far each candidate lies from the readings
currently chosen for the document's other names (the ``spread`` and ``near`` columns of
:data:`geoarena.nlp.candidates.FEATURES`), refreshed by the resolvers after every pass."""

from __future__ import annotations

import math

import numpy as np

from geoarena.nlp.candidates import FEATURES, CandidateSet, _locates
from geoarena.nlp.geo_metrics import MAX_ERROR_KM, haversine_km


def _spread(sets: list[CandidateSet], chosen: list[int], only: int | None = None) -> None:
    """Median (``spread``) and least (``near``) distance, scaled log km, of each candidate to
    the other names' current choices (of set ``only``'s candidates alone when given). The
    median reads the whole story; the least reads its closest neighbour, which the median of a
    few names misses ("Paris and Lamar County … Austin": Paris, France pulls the median of
    Lamar County's choices, not its nearest)."""
    pts = np.array(
        [
            (cs.candidates[c].place.lat, cs.candidates[c].place.lon) if c >= 0 else (np.nan, np.nan)
            for cs, c in zip(sets, chosen)
        ],
        dtype=np.float64,
    )
    col, near = FEATURES.index("spread"), FEATURES.index("near")
    # areas (countries, continents, macro-regions) say little about where a city is: use
    # cities, counties and areas inside one country only ("Lamar County" places a local
    # story's "Paris" and "Reno" in Texas)
    usable = np.array(
        [c >= 0 and _locates(sets[j].candidates[c].place) for j, c in enumerate(chosen)],
        dtype=bool,
    )
    senses = np.array([cs.sense or cs.norm for cs in sets], dtype=object)
    for k, cs in enumerate(sets):
        if not cs.candidates or (only is not None and k != only):
            continue
        mask = usable & (senses != (cs.sense or cs.norm))  # not itself, its demonym or name
        if not mask.any():
            cs.features[:, [col, near]] = 0.0
            continue
        lat = np.array([m.place.lat for m in cs.candidates])[:, None]
        lon = np.array([m.place.lon for m in cs.candidates])[:, None]
        d = haversine_km(lat, lon, pts[mask, 0][None, :], pts[mask, 1][None, :])
        cs.features[:, col] = np.log1p(np.median(d, axis=1)) / math.log(MAX_ERROR_KM)
        cs.features[:, near] = np.log1p(d.min(axis=1)) / math.log(MAX_ERROR_KM)
