"""Representative points of countries, continents and macro-regions: the spherical mean of
several points and the point conventions of :class:`~geoarena.nlp.gazetteer_schema.GazetteerConfig`
(``country_point``, ``continent_point``, ``region_point``)."""

from __future__ import annotations

import numpy as np

from geoarena.core.errors import DataError
from geoarena.nlp.geo_metrics import haversine_km

#: the Natural Earth point conventions (keys of :func:`_natural_earth_countries`' point dicts)
_NE_POINTS = ("label", "centroid", "mainland")


def spherical_mean(
    points: list[tuple[float, float]], weights: list[float] | None = None
) -> tuple[float, float]:
    """(Weighted) mean of ``(lat, lon)`` points on the sphere (unit vectors), safe across the
    antimeridian."""
    p = np.radians(np.asarray(points, dtype=np.float64))
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.sum() <= 0:
        w = np.ones(len(p))
    x = np.cos(p[:, 0]) * np.cos(p[:, 1])
    y = np.cos(p[:, 0]) * np.sin(p[:, 1])
    z = np.sin(p[:, 0])
    mx, my, mz = (np.average(v, weights=w) for v in (x, y, z))
    return float(np.degrees(np.arctan2(mz, np.hypot(mx, my)))), float(
        np.degrees(np.arctan2(my, mx))
    )


#: the macro-region point conventions (see :class:`GazetteerConfig`)
REGION_POINTS = ("members", "members_pop", "members_area")


def region_point(
    mode: str, points: list[tuple[float, float]], members: list[tuple[str, float, float]]
) -> tuple[float, float]:
    """A macro-region's point: the spherical mean of its member countries' ``points``,
    unweighted or weighted by the members' population or area (``members`` rows)."""
    if mode not in REGION_POINTS:
        raise DataError(f"unknown region_point {mode!r}; choose one of {REGION_POINTS}")
    weights = {"members": None, "members_pop": [m[1] for m in members]}.get(
        mode, [m[2] for m in members]
    )
    return spherical_mean(points, weights)


#: the continent point conventions (see :class:`GazetteerConfig`)
CONTINENT_POINTS = ("geonames", "members", "members_pop", "members_area")


def continent_point(
    mode: str,
    geonames: tuple[float, float],
    members: list[tuple[float, float, float, float]],
) -> tuple[float, float]:
    """A continent's representative point under convention ``mode``; ``members`` are the member
    countries' ``(lat, lon, population, area_km2)``. Falls back to GeoNames' point when the
    continent has no member country (Antarctica has one, the territory itself)."""
    if mode not in CONTINENT_POINTS:
        raise DataError(f"unknown continent_point {mode!r}; choose one of {CONTINENT_POINTS}")
    if mode == "geonames" or not members:
        return geonames
    pts = [(m[0], m[1]) for m in members]
    weights = {"members": None, "members_pop": [m[2] for m in members]}.get(
        mode, [m[3] for m in members]
    )
    return spherical_mean(pts, weights)


def country_point(
    mode: str,
    factbook: tuple[float, float] | None,
    ne_points: dict[str, tuple[float, float]],
    factbook_max_km: float = 300.0,
) -> tuple[float, float] | None:
    """A country's representative point under convention ``mode`` (see
    :class:`GazetteerConfig`); ``None`` when no source gives one."""
    if mode == "factbook":
        return factbook or ne_points.get("label")
    if mode in ("consensus", "checked"):
        pts = [p for p in (factbook, *(ne_points.get(k) for k in _NE_POINTS)) if p is not None]
        if not pts:
            return None
        mean = spherical_mean(pts)
        near = factbook is not None and haversine_km(*factbook, *mean) <= factbook_max_km
        return factbook if mode == "checked" and near else mean
    if mode in _NE_POINTS:
        return ne_points.get(mode)
    raise DataError(
        f"unknown country_point {mode!r}; choose checked, consensus, factbook or one of {_NE_POINTS}"
    )
