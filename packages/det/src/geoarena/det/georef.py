"""Geo-referencing: pixel detections ↔ map features.

Pixel coordinates are ``(x=column, y=row)`` with ``(0, 0)`` at the top-left corner of the
top-left pixel, the convention of rasterio's affine transform. Every box is mapped corner by
corner through the full affine (so rotated and sheared rasters are handled exactly: an
axis-aligned pixel box becomes a parallelogram on the ground), then written as polygons with
``label`` and ``score`` columns to a GeoPackage, optionally reprojected to EPSG:4326.

The reverse path (``vector_to_pixel_boxes``) reads labels from any vector layer in any CRS,
reprojects them to the raster's CRS and inverts the affine, giving training boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rasterio.transform import Affine

from geoarena.core.errors import DataError
from geoarena.det.boxes import as_hbb, as_poly, hbb_to_poly, poly_to_hbb


def pixel_to_crs(points: np.ndarray, transform: Affine) -> np.ndarray:
    """``(..., 2)`` pixel ``(x, y)`` → ``(..., 2)`` map coordinates through the affine."""
    p = np.asarray(points, dtype=np.float64)
    a, b, c, d, e, f = transform.a, transform.b, transform.c, transform.d, transform.e, transform.f
    x, y = p[..., 0], p[..., 1]
    return np.stack([a * x + b * y + c, d * x + e * y + f], axis=-1)


def crs_to_pixel(points: np.ndarray, transform: Affine) -> np.ndarray:
    """``(..., 2)`` map coordinates → pixel ``(x, y)`` through the inverse affine."""
    if abs(transform.determinant) < 1e-300:
        raise ValueError(f"affine transform {transform!r} is not invertible")
    return pixel_to_crs(points, ~transform)


def boxes_to_polygons(
    boxes: Any, transform: Affine, box_type: Literal["hbb", "obb"] = "hbb"
) -> list[Any]:
    """Pixel boxes (xyxy) or quadrilaterals → shapely polygons in the raster's CRS."""
    import shapely

    corners = hbb_to_poly(as_hbb(boxes)) if box_type == "hbb" else as_poly(boxes)
    if len(corners) == 0:
        return []
    return list(shapely.polygons(pixel_to_crs(corners, transform)))


def detections_to_geodataframe(
    detections: dict[str, Any],
    transform: Affine,
    crs: Any,
    class_names: Sequence[str] = (),
    box_type: Literal["hbb", "obb"] = "hbb",
) -> Any:
    """One image's detections (``boxes``, ``scores``, ``labels``) → GeoDataFrame with columns
    ``label`` (class name), ``class_id``, ``score`` and polygon ``geometry`` in ``crs``."""
    import geopandas as gpd

    polys = boxes_to_polygons(detections["boxes"], transform, box_type)
    labels = np.asarray(
        _np(detections.get("labels", np.zeros(len(polys)))), dtype=np.int64
    ).reshape(-1)
    scores = np.asarray(
        _np(detections.get("scores", np.ones(len(polys)))), dtype=np.float64
    ).reshape(-1)
    names = [class_names[k] if 0 <= k < len(class_names) else str(k) for k in labels]
    return gpd.GeoDataFrame(
        {"label": names, "class_id": labels, "score": scores}, geometry=polys, crs=crs
    )


def write_detections_gpkg(
    detections: dict[str, Any],
    raster: str | Path,
    out_path: str | Path,
    class_names: Sequence[str] = (),
    box_type: Literal["hbb", "obb"] = "hbb",
    to_wgs84: bool = False,
    layer: str = "detections",
) -> Any:
    """Geo-reference ``detections`` made on ``raster`` and write them to a GeoPackage.

    Returns the written GeoDataFrame. ``to_wgs84`` reprojects to EPSG:4326 first.
    """
    transform, crs = raster_georef(raster)
    gdf = detections_to_geodataframe(detections, transform, crs, class_names, box_type)
    if to_wgs84:
        gdf = gdf.to_crs(4326)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(out_path, layer=layer, driver="GPKG")
    return gdf


def raster_georef(raster: str | Path) -> tuple[Affine, Any]:
    """The affine transform and CRS of a raster file; DataError when it has none."""
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(raster) as ds:
            transform, crs = ds.transform, ds.crs
    except RasterioIOError as exc:
        raise DataError(f"cannot open raster ({exc})", raster) from exc
    if crs is None or transform == Affine.identity():
        raise DataError("raster is not geo-referenced (no CRS or identity transform)", raster)
    return transform, crs


def vector_to_pixel_boxes(
    vector: Any,
    transform: Affine,
    crs: Any,
    label_column: str | None = None,
    class_names: Sequence[str] = (),
    box_type: Literal["hbb", "obb"] = "hbb",
    width: int | None = None,
    height: int | None = None,
    min_visible: float = 0.0,
) -> dict[str, np.ndarray]:
    """Vector labels (GeoDataFrame or a path readable by geopandas, any CRS) → pixel boxes.

    Geometries are reprojected to ``crs`` and mapped through the inverse affine. HBB: the
    pixel-space envelope. OBB: a quadrilateral's own corners, otherwise its minimum rotated
    rectangle. With ``width``/``height`` boxes are clipped to the image and those keeping less
    than ``min_visible`` of their area (or nothing) are dropped.

    Returns ``{"boxes", "labels"}`` (labels index ``class_names``; 0 without a label column).
    """
    import geopandas as gpd
    import shapely

    path = None
    if not isinstance(vector, gpd.GeoDataFrame):
        path = Path(vector)
        try:
            vector = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several types; all mean "unreadable"
            raise DataError(f"cannot read vector labels ({exc})", path) from exc
    if vector.crs is None:
        raise DataError("vector labels have no CRS; set one before converting to pixels", path)
    gdf = vector[~vector.geometry.is_empty & vector.geometry.notna()].to_crs(crs)
    boxes, labels = [], []
    names = list(class_names)
    for geom, lab in zip(gdf.geometry, gdf[label_column] if label_column else [None] * len(gdf)):
        coords = shapely.get_coordinates(geom)
        pix = crs_to_pixel(coords, transform)
        if box_type == "hbb":
            boxes.append(np.concatenate([pix.min(0), pix.max(0)]))
        else:
            ring = _quad(shapely.Polygon(pix) if len(pix) >= 4 else shapely.MultiPoint(pix))
            boxes.append(ring)
        if label_column is None:
            labels.append(0)
        else:
            if lab not in names:
                if class_names:
                    raise DataError(f"label {lab!r} not in class names {tuple(class_names)}", path)
                names.append(lab)
            labels.append(names.index(lab))
    out_boxes = np.asarray(boxes, dtype=np.float64).reshape(
        (-1, 4) if box_type == "hbb" else (-1, 4, 2)
    )
    out_labels = np.asarray(labels, dtype=np.int64)
    if width is not None and height is not None and len(out_boxes):
        hbb = out_boxes if box_type == "hbb" else poly_to_hbb(out_boxes)
        clipped = np.clip(hbb, 0, [width, height, width, height])
        area = np.prod(hbb[:, 2:] - hbb[:, :2], 1)
        vis = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), 1) / np.maximum(
            area, 1e-12
        )
        keep = (vis > 0) & (vis >= min_visible)
        if box_type == "hbb":
            out_boxes = clipped
        out_boxes, out_labels = out_boxes[keep], out_labels[keep]
    return {"boxes": out_boxes, "labels": out_labels}


def _quad(geom: Any) -> np.ndarray:
    """A polygon's 4 corners if it is a quadrilateral, else its minimum rotated rectangle."""
    import shapely

    ring = np.asarray(geom.exterior.coords)[:-1] if geom.geom_type == "Polygon" else None
    if ring is None or len(ring) != 4:
        rect = shapely.minimum_rotated_rectangle(geom)
        ring = np.asarray(rect.exterior.coords)[:-1]
    return ring


def _np(x: Any) -> Any:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x
