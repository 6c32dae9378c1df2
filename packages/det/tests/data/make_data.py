"""Write tiny detection fixtures in each format's real on-disk layout.

    python packages/det/tests/data/make_data.py OUT_DIR

Layout (all for the same two 64×48 RGB images ``a.png``, ``b.png``):
``yolo/`` (images/ + labels/*.txt, plus labels_obb/), ``coco.json``, ``voc/a.xml``,
``dota/a.txt``, ``xview.geojson``, and broken inputs under ``bad/`` (a truncated PNG, a YOLO
file with an out-of-range box, a VOC file with a box past the image edge, malformed XML).
The boxes are fixed numbers so tests can assert exact pixel coordinates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

W, H = 64, 48
CLASSES = ("car", "tree")
# image → list of (class, xmin, ymin, xmax, ymax) in pixels
BOXES = {"a.png": [(0, 4, 6, 20, 16), (1, 30, 10, 50, 40)], "b.png": [(1, 0, 0, 10, 8)]}
# an oriented box for a.png: corners of a 20×8 rectangle rotated by 30° around (32, 24)
_ang = np.deg2rad(30)
_u, _v = np.array([np.cos(_ang), np.sin(_ang)]) * 10, np.array([-np.sin(_ang), np.cos(_ang)]) * 4
_c = np.array([32.0, 24.0])
OBB = np.array([_c - _u - _v, _c + _u - _v, _c + _u + _v, _c - _u + _v])


def write(out: Path) -> Path:
    rng = np.random.default_rng(0)
    (out / "yolo" / "images").mkdir(parents=True, exist_ok=True)
    (out / "yolo" / "labels").mkdir(parents=True, exist_ok=True)
    (out / "yolo" / "labels_obb").mkdir(parents=True, exist_ok=True)
    for name in BOXES:
        Image.fromarray(rng.integers(0, 255, (H, W, 3), dtype=np.uint8)).save(
            out / "yolo" / "images" / name
        )
    for name, boxes in BOXES.items():
        lines = [
            f"{c} {(x0 + x1) / 2 / W:.6f} {(y0 + y1) / 2 / H:.6f} {(x1 - x0) / W:.6f} {(y1 - y0) / H:.6f}"
            for c, x0, y0, x1, y1 in boxes
        ]
        (out / "yolo" / "labels" / name.replace(".png", ".txt")).write_text("\n".join(lines) + "\n")
    obb_line = "0 " + " ".join(f"{v:.6f}" for v in (OBB / [W, H]).ravel())
    (out / "yolo" / "labels_obb" / "a.txt").write_text(obb_line + "\n")
    # COCO
    images = [
        {"id": i + 1, "file_name": n, "width": W, "height": H} for i, n in enumerate(BOXES)
    ] + [{"id": 3, "file_name": "empty.png", "width": W, "height": H}]
    anns = []
    for i, boxes in enumerate(BOXES.values()):
        for c, x0, y0, x1, y1 in boxes:
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i + 1,
                    "category_id": c + 1,
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": (x1 - x0) * (y1 - y0),
                    "iscrowd": 0,
                }
            )
    cats = [{"id": k + 1, "name": n} for k, n in enumerate(CLASSES)]
    (out / "coco.json").write_text(
        json.dumps({"images": images, "annotations": anns, "categories": cats})
    )
    # Pascal VOC
    (out / "voc").mkdir(exist_ok=True)
    (out / "voc" / "a.xml").write_text(_voc("a.png", BOXES["a.png"]))
    # DOTA
    (out / "dota").mkdir(exist_ok=True)
    coords = " ".join(f"{v:.1f}" for v in OBB.ravel())
    (out / "dota" / "a.txt").write_text(
        f"imagesource:GoogleEarth\ngsd:0.146\n{coords} small-vehicle 0\n{coords} large-vehicle 1\n"
    )
    # xView: one FeatureCollection for all images, pixel boxes in bounds_imcoords
    feats = []
    for name, boxes in BOXES.items():
        for c, x0, y0, x1, y1 in boxes:
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [[-77.0, 38.0], [-77.0, 38.001], [-76.999, 38.001], [-77.0, 38.0]]
                        ],
                    },
                    "properties": {
                        "bounds_imcoords": f"{x0},{y0},{x1},{y1}",
                        "type_id": 18 if c == 0 else 73,
                        "image_id": name,
                    },
                }
            )
    (out / "xview.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    # broken inputs
    bad = out / "bad"
    bad.mkdir(exist_ok=True)
    png = (out / "yolo" / "images" / "a.png").read_bytes()
    (bad / "truncated.png").write_bytes(png[: len(png) // 3])
    (bad / "notanimage.tif").write_bytes(b"this is not a TIFF at all")
    (bad / "out_of_range.txt").write_text("0 0.5 0.5 0.2 0.2\n1 1.30 0.5 0.2 0.2\n")
    (bad / "out_of_range.xml").write_text(_voc("a.png", [(0, 4, 6, 20, 16), (1, 40, 10, 90, 40)]))
    (bad / "malformed.xml").write_text("<annotation><object><name>car</name>")
    return out


def _voc(filename: str, boxes: list) -> str:
    objs = "".join(
        f"<object><name>{CLASSES[c]}</name><difficult>0</difficult><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
        for c, x0, y0, x1, y1 in boxes
    )
    return f"<annotation><filename>{filename}</filename><size><width>{W}</width><height>{H}</height><depth>3</depth></size>{objs}</annotation>"


if __name__ == "__main__":
    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else "det_fixtures")))
