"""Towns and the counties named beside them.

Local news names a town's county beside it: "Residents of Paris and Lamar County", "Clarke
County schools … parents in Athens". Each name alone is ambiguous (four Lamar Counties, a
dozen Parises), but only one reading of each lies in a reading of the other. The spatial
coherence features (``spread``, ``near``) measure distances to the other names' *current*
choices and can miss such a pair when a strong prior pulls one of them away (Paris, France);
this feature reads every candidate of the other names instead.

A city candidate is a county mate when it lies within :data:`MATE_KM` of a candidate of a
county name of the same document (a name whose every candidate is an admin-2 area); a county
candidate is one when a city candidate of another name lies that close; the value falls with
the other name's number of readings (:func:`county_mates`). Without polygons,
distance to the county's point stands for containment: US counties are mostly 30–60 km
across, and the seat rule of candidate generation uses the same distance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geoarena.nlp.gazetteer import Place
from geoarena.nlp.geo_metrics import haversine_km

#: a town this close to a county's point counts as inside it (the candidate seat rule's 50 km)
MATE_KM = 50.0


def _points(places: Sequence[Place]) -> np.ndarray:
    return np.array([(p.lat, p.lon) for p in places], dtype=np.float64).reshape(-1, 2)


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each point of ``a``, whether a point of ``b`` lies within :data:`MATE_KM`."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(len(a), dtype=bool)
    d = haversine_km(a[:, 0][:, None], a[:, 1][:, None], b[:, 0][None, :], b[:, 1][None, :])
    return (d <= MATE_KM).any(axis=1)


def county_mates(candidates: Sequence[Sequence[Place]]) -> list[np.ndarray]:
    """Per name (its candidate places, one list per distinct name of a document), a value per
    candidate: 1/n for a county mate, n the number of readings of the other name of the pair
    (its counties, or its towns), the largest over the pairs it has. A name with many
    readings finds a mate by chance — thirty Washington Counties lie near some Paris, Vienna
    or Manchester — so a pairing with it says little; "Lamar County" (4 readings) and "Paris"
    say more."""
    is_county = [bool(ps) and all(p.kind == "admin2" for p in ps) for ps in candidates]
    towns = [[i for i, p in enumerate(ps) if p.kind == "city"] for ps in candidates]
    out = [np.zeros(len(ps)) for ps in candidates]
    for a, county in enumerate(candidates):
        if not is_county[a]:
            continue
        for b, names in enumerate(candidates):
            if b == a or is_county[b] or not towns[b]:
                continue
            town_pts = _points([names[i] for i in towns[b]])
            near_town = _close(town_pts, _points(county))
            near_county = _close(_points(county), town_pts)
            idx = np.array(towns[b])[near_town]
            out[b][idx] = np.maximum(out[b][idx], 1.0 / len(county))
            out[a][near_county] = np.maximum(out[a][near_county], 1.0 / len(towns[b]))
    return out
