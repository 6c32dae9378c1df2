"""Readers for the common detection label formats, each returning ``ImageLabels``.

* YOLO txt — ``class cx cy w h`` (HBB) or ``class x1 y1 … x4 y4`` (OBB), normalised to 0–1;
* COCO json — ``images`` / ``annotations`` (``bbox`` = x, y, w, h in pixels) / ``categories``;
* Pascal VOC xml — ``object/name`` and ``object/bndbox``;
* DOTA txt — optional ``imagesource:`` / ``gsd:`` header, then ``x1 y1 … x4 y4 class difficult``;
* xView geojson — features with ``bounds_imcoords`` ("xmin,ymin,xmax,ymax"), ``type_id`` and
  ``image_id`` properties.

Every reader validates boxes against the image size and raises ``DataError`` naming the label
file and the offending line/object, so a broken label set fails loudly instead of training on
garbage.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError

#: boxes may poke out of the image by this many pixels (annotation tools round outwards)
EDGE_TOLERANCE_PX = 1.0


@dataclass
class ImageLabels:
    """The labels of one image.

    Attributes:
        image: image file path (may be relative to the label file's folder for some formats).
        width, height: image size in pixels (0 when the format does not say).
        boxes: ``(N, 4)`` xyxy (HBB) or ``(N, 4, 2)`` corners (OBB), pixels.
        names: class name of each box.
        difficult: per-box flag (DOTA/VOC ``difficult``), evaluated as COCO crowd regions.
    """

    image: Path
    width: int
    height: int
    boxes: np.ndarray
    names: list[str]
    difficult: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.difficult) != len(self.names):
            self.difficult = np.zeros(len(self.names), dtype=bool)

    @property
    def is_obb(self) -> bool:
        return self.boxes.ndim == 3

    def label_ids(self, class_names: Sequence[str], source: Path | None = None) -> np.ndarray:
        """Class indices of ``names`` in ``class_names``; DataError for an unknown class."""
        index = {n: i for i, n in enumerate(class_names)}
        missing = sorted({n for n in self.names if n not in index})
        if missing:
            raise DataError(
                f"unknown class name(s) {missing}; expected one of {list(class_names)}",
                source or self.image,
            )
        return np.asarray([index[n] for n in self.names], dtype=np.int64)


def check_boxes(
    boxes: np.ndarray, width: int, height: int, source: Path, what: str = "box"
) -> None:
    """DataError naming ``source`` when a box is degenerate or outside the image."""
    if len(boxes) == 0:
        return
    pts = boxes.reshape(len(boxes), -1, 2)
    if not np.isfinite(pts).all():
        raise DataError(
            f"{what} {int(np.where(~np.isfinite(pts).all((1, 2)))[0][0])} has non-finite coordinates",
            source,
        )
    lo, hi = pts.min(1), pts.max(1)
    bad_size = np.where((hi - lo <= 0).any(1))[0]
    if len(bad_size):
        raise DataError(
            f"{what} {int(bad_size[0])} has zero or negative size: {pts[bad_size[0]].ravel().tolist()}",
            source,
        )
    if width > 0 and height > 0:
        tol = EDGE_TOLERANCE_PX
        out = np.where((lo < -tol).any(1) | (hi[:, 0] > width + tol) | (hi[:, 1] > height + tol))[0]
        if len(out):
            raise DataError(
                f"{what} {int(out[0])} {pts[out[0]].ravel().round(2).tolist()} is outside the {width}x{height} image "
                f"({len(out)} out-of-range box(es))",
                source,
            )


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image file from its header (GDAL); DataError if unreadable."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    if not Path(path).exists():
        raise DataError("image file does not exist", path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as ds:
                return ds.width, ds.height
    except RasterioError as exc:
        raise DataError(f"cannot read image ({exc})", path) from exc


def read_yolo(
    label_file: str | Path, image: str | Path, class_names: Sequence[str], obb: bool = False
) -> ImageLabels:
    """One YOLO label file (normalised coordinates) for ``image``; needs the class list."""
    label_file = Path(label_file)
    w, h = image_size(image)
    boxes, names = [], []
    for lineno, line in enumerate(_read_text(label_file).splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        expected = 9 if obb else 5
        if len(parts) != expected:
            raise DataError(
                f"line {lineno}: expected {expected} values, got {len(parts)}", label_file
            )
        try:
            cls, vals = int(parts[0]), np.asarray(parts[1:], dtype=np.float64)
        except ValueError as exc:
            raise DataError(f"line {lineno}: {exc}", label_file) from exc
        if not 0 <= cls < len(class_names):
            raise DataError(
                f"line {lineno}: class {cls} outside 0..{len(class_names) - 1}", label_file
            )
        if ((vals < -1e-6) | (vals > 1 + 1e-6)).any():
            raise DataError(
                f"line {lineno}: normalised coordinates {vals.tolist()} outside [0, 1]", label_file
            )
        if obb:
            boxes.append(vals.reshape(4, 2) * [w, h])
        else:
            cx, cy, bw, bh = vals
            boxes.append(
                [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
            )
        names.append(class_names[cls])
    arr = np.asarray(boxes, dtype=np.float64).reshape((-1, 4, 2) if obb else (-1, 4))
    check_boxes(arr, w, h, label_file)
    return ImageLabels(Path(image), w, h, arr, names)


def read_coco(
    json_file: str | Path, image_root: str | Path | None = None
) -> tuple[list[ImageLabels], list[str]]:
    """A COCO detection json → per-image labels (every image, also unlabelled ones) and the
    category names in category-id order. ``iscrowd`` becomes ``difficult``."""
    json_file = Path(json_file)
    try:
        data = json.loads(_read_text(json_file))
        cats = sorted(data["categories"], key=lambda c: c["id"])
        images = data["images"]
        anns = data.get("annotations", [])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"not a COCO detection file ({exc!r})", json_file) from exc
    cat_name = {c["id"]: c["name"] for c in cats}
    root = Path(image_root) if image_root else json_file.parent
    by_image: dict[int, list[dict]] = {im["id"]: [] for im in images}
    for a in anns:
        if a["image_id"] not in by_image:
            raise DataError(
                f"annotation {a.get('id')} refers to unknown image_id {a['image_id']}", json_file
            )
        if a["category_id"] not in cat_name:
            raise DataError(
                f"annotation {a.get('id')} has unknown category_id {a['category_id']}", json_file
            )
        by_image[a["image_id"]].append(a)
    out = []
    for im in images:
        ims = by_image[im["id"]]
        xywh = np.asarray([a["bbox"] for a in ims], dtype=np.float64).reshape(-1, 4)
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
        check_boxes(
            boxes,
            int(im.get("width", 0)),
            int(im.get("height", 0)),
            json_file,
            f"image {im['file_name']}: box",
        )
        out.append(
            ImageLabels(
                root / im["file_name"],
                int(im.get("width", 0)),
                int(im.get("height", 0)),
                boxes,
                [cat_name[a["category_id"]] for a in ims],
                np.asarray([bool(a.get("iscrowd", 0)) for a in ims]),
            )
        )
    return out, [c["name"] for c in cats]


def read_voc(xml_file: str | Path, image_root: str | Path | None = None) -> ImageLabels:
    """A Pascal VOC annotation. Coordinates are used as written (deepforest/NEON style: the
    box spans ``xmin..xmax`` in pixel-edge coordinates)."""
    xml_file = Path(xml_file)
    try:
        root = ET.fromstring(_read_text(xml_file))
    except ET.ParseError as exc:
        raise DataError(f"malformed XML ({exc})", xml_file) from exc
    size = root.find("size")
    w = int(float(size.findtext("width", "0"))) if size is not None else 0
    h = int(float(size.findtext("height", "0"))) if size is not None else 0
    boxes, names, difficult = [], [], []
    for i, obj in enumerate(root.iter("object")):
        bb = obj.find("bndbox")
        if bb is None:
            raise DataError(f"object {i} has no bndbox", xml_file)
        try:
            boxes.append([float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")])
        except (TypeError, ValueError) as exc:
            raise DataError(f"object {i}: bad bndbox ({exc})", xml_file) from exc
        names.append((obj.findtext("name") or "").strip())
        difficult.append(obj.findtext("difficult", "0").strip() == "1")
    arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    check_boxes(arr, w, h, xml_file)
    image = (Path(image_root) if image_root else xml_file.parent) / (
        root.findtext("filename") or xml_file.stem
    )
    return ImageLabels(image, w, h, arr, names, np.asarray(difficult, dtype=bool))


def read_dota(txt_file: str | Path, image: str | Path | None = None) -> ImageLabels:
    """A DOTA (v1/v1.5/v2) label file: oriented boxes as 4 corners, class, difficulty.

    The image (if given) is opened for its size so that out-of-range corners are caught.
    """
    txt_file = Path(txt_file)
    w, h = image_size(image) if image is not None else (0, 0)
    boxes, names, difficult = [], [], []
    for lineno, line in enumerate(_read_text(txt_file).splitlines(), start=1):
        parts = line.split()
        if not parts or line.startswith(("imagesource:", "gsd:")):
            continue
        if len(parts) < 9:
            raise DataError(
                f"line {lineno}: expected 8 coordinates and a class, got {line!r}", txt_file
            )
        try:
            boxes.append(np.asarray(parts[:8], dtype=np.float64).reshape(4, 2))
        except ValueError as exc:
            raise DataError(f"line {lineno}: {exc}", txt_file) from exc
        names.append(parts[8])
        difficult.append(len(parts) > 9 and parts[9] == "1")
    arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4, 2)
    check_boxes(arr, w, h, txt_file)
    img = Path(image) if image is not None else txt_file.with_suffix(".png")
    return ImageLabels(img, w, h, arr, names, np.asarray(difficult, dtype=bool))


def read_xview(
    geojson_file: str | Path,
    image_root: str | Path | None = None,
    class_map: dict[int, str] | None = None,
) -> dict[str, ImageLabels]:
    """xView's single geojson of all labels → per image id (e.g. ``"104.tif"``) labels.

    Pixel boxes come from ``bounds_imcoords``; ``type_id`` is mapped through ``class_map``
    (default: the id as a string). Image sizes are not in the file, so range checks against the
    image happen when the image is read (``check_boxes``); negative or inverted boxes fail here.
    """
    geojson_file = Path(geojson_file)
    try:
        feats = json.loads(_read_text(geojson_file))["features"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"not a GeoJSON FeatureCollection ({exc!r})", geojson_file) from exc
    root = Path(image_root) if image_root else geojson_file.parent
    per: dict[str, tuple[list, list]] = {}
    for i, f in enumerate(feats):
        p = f.get("properties", {})
        try:
            box = [float(v) for v in str(p["bounds_imcoords"]).split(",")]
            image_id, type_id = str(p["image_id"]), int(p["type_id"])
        except (KeyError, ValueError) as exc:
            raise DataError(
                f"feature {i}: missing/bad bounds_imcoords, image_id or type_id ({exc!r})",
                geojson_file,
            ) from exc
        if len(box) != 4:
            raise DataError(
                f"feature {i}: bounds_imcoords needs 4 numbers, got {len(box)}", geojson_file
            )
        b, n = per.setdefault(image_id, ([], []))
        b.append(box)
        n.append((class_map or {}).get(type_id, str(type_id)))
    out = {}
    for image_id, (b, n) in per.items():
        arr = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        check_boxes(arr, 0, 0, geojson_file, f"image {image_id}: box")
        if (arr < -EDGE_TOLERANCE_PX).any():
            raise DataError(f"image {image_id}: negative pixel coordinates", geojson_file)
        out[image_id] = ImageLabels(root / image_id, 0, 0, arr, n)
    return out


def read_image(path: str | Path, bands: Sequence[int] = (1, 2, 3)) -> np.ndarray:
    """An image (GeoTIFF, PNG, JPEG…) as ``(H, W, 3)`` uint8; DataError for corrupt files or
    too few bands. Only 8-bit data is accepted (the detectors here are trained on 8-bit RGB).

    PNG/JPEG are decoded fully with Pillow (which, unlike GDAL, refuses truncated files);
    everything else is read with rasterio.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("image file does not exist", path)
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        return _read_pillow(path, len(bands))
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as ds:
                if ds.count < len(bands):
                    raise DataError(f"image has {ds.count} band(s), need {len(bands)} (RGB)", path)
                if ds.dtypes[0] != "uint8":
                    raise DataError(f"image dtype is {ds.dtypes[0]}, expected uint8", path)
                arr = ds.read(list(bands))
    except RasterioError as exc:
        raise DataError(f"corrupt or unreadable image ({exc})", path) from exc
    return np.ascontiguousarray(arr.transpose(1, 2, 0))


def _read_pillow(path: Path, n_bands: int) -> np.ndarray:
    from PIL import Image, ImageFile, UnidentifiedImageError

    # some libraries switch Pillow to silently pad truncated files; a benchmark must not
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(path) as im:
            im.load()  # decode now: a truncated file fails here, not later in training
            if len(im.getbands()) < n_bands:
                raise DataError(
                    f"image has {len(im.getbands())} band(s), need {n_bands} (RGB)", path
                )
            if im.mode not in ("RGB", "RGBA"):
                raise DataError(f"image mode is {im.mode}, expected 8-bit RGB", path)
            arr = np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"corrupt or unreadable image ({exc})", path) from exc
    except ImportError as exc:  # ultralytics patches Image.open to try an optional HEIF plugin
        raise DataError(f"unrecognised image format ({exc})", path) from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return np.ascontiguousarray(arr)


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read label file ({exc})", path) from exc
