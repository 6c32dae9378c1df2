"""Bounding-box annotations (Pascal VOC XML, DeepForest CSV) as pixel-space GeoDataFrames, so that
box-labelled imagery goes through the same scene builder as polygon labels."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

from shapely.geometry import box

from geoarena.core.errors import DataError


def _frame(boxes: list[tuple[float, float, float, float]], labels: list[str]):
    import geopandas as gpd

    return gpd.GeoDataFrame({"label": labels}, geometry=[box(*b) for b in boxes], crs=None)


def read_voc_boxes(path: str | Path):
    """Pascal VOC ``<object><name/><bndbox>xmin…</bndbox>`` → GeoDataFrame (pixel coordinates)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DataError(f"malformed VOC annotation ({exc})", path) from exc
    boxes, labels = [], []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        if bb is None:
            raise DataError("VOC <object> without <bndbox>", path)
        try:
            boxes.append(tuple(float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")))
        except (TypeError, ValueError) as exc:
            raise DataError(f"VOC box with missing/non-numeric coordinates ({exc})", path) from exc
        labels.append(obj.findtext("name") or "")
    return _frame(boxes, labels)


def read_csv_boxes(path: str | Path, image_name: str | None = None):
    """DeepForest CSV (``image_path,xmin,ymin,xmax,ymax,label``) → GeoDataFrame (pixels)."""
    path = Path(path)
    boxes, labels = [], []
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"xmin", "ymin", "xmax", "ymax"} - set(reader.fieldnames or ())
        if missing:
            raise DataError(f"box CSV lacks columns {sorted(missing)}", path)
        for row in reader:
            if image_name and row.get("image_path") not in (None, image_name):
                continue
            try:
                boxes.append(tuple(float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax")))
            except ValueError as exc:
                raise DataError(f"non-numeric box coordinate ({exc})", path) from exc
            labels.append(row.get("label", ""))
    return _frame(boxes, labels)
