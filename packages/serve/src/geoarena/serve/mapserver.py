"""A map of a scene and its prediction: TiTiler XYZ tiles and a Leaflet page.

``create_app(MapLayers(...))`` builds a FastAPI app with

* ``/cog/tiles/WebMercatorQuad/{z}/{x}/{y}.png?layer=scene|prediction`` — titiler.core's
  ``TilerFactory`` over rio-tiler. Only the files given to the app can be read: the
  ``layer`` name replaces TiTiler's ``url`` parameter (no path or URL comes from the client).
* ``/layers.json`` — tile URL templates (imagery rescaled to its 2–98 % range, prediction with a
  class colour map, class 0 transparent), bounds in EPSG:4326 and the class legend.
* ``/vectors.geojson`` — the prediction's GeoPackage (polygons or detections) in EPSG:4326.
* ``/`` — the page (``static/index.html``, Leaflet 1.9.4 vendored under ``static/vendor``):
  imagery, prediction overlay, opacity slider, class legend, layer toggles and vectors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from geoarena.core.errors import DataError

STATIC = Path(__file__).parent / "static"
TMS = "WebMercatorQuad"
#: class colours (RGBA); class 0 (background) stays transparent
PALETTE = (
    (0, 0, 0, 0),
    (230, 25, 75, 255),
    (60, 180, 75, 255),
    (255, 225, 25, 255),
    (0, 130, 200, 255),
    (245, 130, 48, 255),
    (145, 30, 180, 255),
    (70, 240, 240, 255),
    (240, 50, 230, 255),
    (210, 245, 60, 255),
)


@dataclass
class MapLayers:
    """What the map shows. ``prediction``: a class-map GeoTIFF/COG (uint8 classes);
    ``classes``: class names by value (default: the values found); ``vectors``: a GeoPackage."""

    scene: Path | None = None
    prediction: Path | None = None
    vectors: Path | None = None
    classes: list[str] = field(default_factory=list)
    title: str = "GeoArena map"

    def files(self) -> dict[str, Path]:
        out = {}
        for name in ("scene", "prediction"):
            path = getattr(self, name)
            if path is not None:
                path = Path(path)
                if not path.is_file():
                    raise DataError(f"{name} raster not found", path)
                out[name] = path.resolve()
        if not out:
            raise DataError("the map needs a scene or a prediction raster")
        return out


def class_colormap(n_classes: int) -> dict[int, tuple[int, int, int, int]]:
    """Class value → RGBA (the palette repeats past 10 classes; class 0 transparent)."""
    return {
        k: PALETTE[k] if k < len(PALETTE) else PALETTE[1 + (k - 1) % (len(PALETTE) - 1)]
        for k in range(n_classes)
    }


def _scene_render(path: Path) -> dict[str, str]:
    """TiTiler query for the imagery: first 3 bands (or 1), each rescaled to its 2–98 %."""
    from rio_tiler.io import Reader

    with Reader(str(path)) as src:
        count = src.dataset.count
        idx = [1, 2, 3] if count >= 3 else [1]
        stats = src.statistics(indexes=idx, max_size=512)
    rescale = [f"{s.percentile_2},{s.percentile_98}" for s in stats.values()]
    q = {"bidx": idx, "rescale": rescale}
    return {k: "&".join(f"{k}={quote(str(v))}" for v in vs) for k, vs in q.items()}


def _bounds_lonlat(path: Path) -> list[float]:
    from rio_tiler.io import Reader

    with Reader(str(path)) as src:
        return list(src.get_geographic_bounds(src.tms.rasterio_geographic_crs))


def layers_description(layers: MapLayers, files: dict[str, Path]) -> dict[str, Any]:
    """The JSON the page reads: tile templates, bounds, legend."""
    import rasterio

    base = f"/cog/tiles/{TMS}/{{z}}/{{x}}/{{y}}.png"
    out: dict[str, Any] = {"title": layers.title, "tms": TMS}
    if "scene" in files:
        render = _scene_render(files["scene"])
        out["scene"] = {
            "tiles": f"{base}?layer=scene&{render['bidx']}&{render['rescale']}",
            "bounds": _bounds_lonlat(files["scene"]),
        }
    if "prediction" in files:
        with rasterio.open(files["prediction"]) as src:
            n = max(len(layers.classes), int(src.read(1, out_shape=(256, 256)).max()) + 1)
            nodata = src.nodata
        cmap = class_colormap(n)
        if nodata is not None and 0 <= nodata < 256:
            cmap[int(nodata)] = (0, 0, 0, 0)
        names = layers.classes or [f"class {k}" for k in range(n)]
        out["prediction"] = {
            "tiles": f"{base}?layer=prediction&colormap={quote(json.dumps(cmap))}",
            "bounds": _bounds_lonlat(files["prediction"]),
        }
        out["classes"] = [
            {"value": k, "name": names[k] if k < len(names) else f"class {k}", "color": cmap[k]}
            for k in range(n)
        ]
    if layers.vectors is not None:
        out["vectors"] = "/vectors.geojson"
    return out


def create_app(layers: MapLayers):
    """The FastAPI app serving tiles, the layer description, vectors and the page."""
    from fastapi import FastAPI, HTTPException, Query
    from fastapi.responses import FileResponse, JSONResponse, Response
    from fastapi.staticfiles import StaticFiles
    from titiler.core.errors import DEFAULT_STATUS_CODES, add_exception_handlers
    from titiler.core.factory import TilerFactory

    files = layers.files()
    description = layers_description(layers, files)

    def layer_path(layer: str = Query(description="scene or prediction")) -> str:
        if layer not in files:
            raise HTTPException(404, f"no layer {layer!r} (have: {', '.join(files)})")
        return str(files[layer])

    app = FastAPI(title=layers.title)
    cog = TilerFactory(path_dependency=layer_path, router_prefix="/cog", add_viewer=False)
    app.include_router(cog.router, prefix="/cog")
    add_exception_handlers(app, DEFAULT_STATUS_CODES)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/layers.json")
    def layers_json() -> JSONResponse:
        return JSONResponse(description)

    @app.get("/vectors.geojson")
    def vectors() -> Response:
        if layers.vectors is None:
            raise HTTPException(404, "no vector layer")
        import geopandas as gpd

        gdf = gpd.read_file(layers.vectors)
        if gdf.crs is not None:
            gdf = gdf.to_crs(4326)
        return Response(gdf.to_json(), media_type="application/geo+json")

    return app
