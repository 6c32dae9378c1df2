"""NEON tree crowns (deepforest 2.1.0 wheel data): real 10 cm RGB with hand-drawn crown boxes.

Scenes: the two Yellowstone crops (2299×2472 px / 574 crowns and 1249×1035 / 279, VOC xml)
and OSBS_029 (400×400 GeoTIFF in EPSG:32617, 61 crowns, CSV). Every scene is cut into
``block``-px blocks that go wholly to train, val or test (seeded by a fixed split seed, not
the run seed), so the test area is spatially held out.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.samples import SampleSource, declare_sample
from geoarena.det.chips import Chip, assign_blocks, block_grid, make_chips
from geoarena.det.formats import ImageLabels, check_boxes, read_image, read_voc

_ARCHIVE = declare_sample(
    SampleSource(
        "deepforest-2.1.0",
        "pypi-wheel",
        "deepforest",
        "2.1.0",
        "deepforest-2.1.0-py3-none-any.whl",
        "8c2798d8e9be7f0004b194fe207b76c1d9fff6e711b3db67b9508dcd5d00ae54",
        "NEON data CC0; code MIT",
        "NEON 10 cm RGB (OSBS_029.tif EPSG:32617, Yellowstone crops, SOAP_061) + tree-crown boxes",
    )
)
SOURCE = _ARCHIVE.name
CLASS_NAMES = ("Tree",)
SCENES_VOC = ("2019_YELL_2_528000_4978000_image_crop2", "2019_YELL_2_541000_4977000_image_crop")
SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
SPLIT_SEED = 0


def data_dir(cache_dir: Path | None = None) -> Path:
    from geoarena.core.samples import sample_path

    return sample_path(SOURCE, cache_dir) / "deepforest" / "data"


def read_deepforest_csv(csv_file: Path, image: Path) -> ImageLabels:
    """deepforest's annotation CSV (``image_path,xmin,ymin,xmax,ymax,label``) for one image."""
    rows = []
    try:
        with open(csv_file, newline="") as f:
            for r in csv.DictReader(f):
                if Path(r["image_path"]).name == image.name:
                    rows.append(r)
    except (OSError, KeyError) as exc:
        raise DataError(f"not a deepforest annotation CSV ({exc!r})", csv_file) from exc
    boxes = np.asarray(
        [[float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")] for r in rows]
    ).reshape(-1, 4)
    from geoarena.det.formats import image_size

    w, h = image_size(image)
    check_boxes(boxes, w, h, csv_file)
    return ImageLabels(image, w, h, boxes, [r["label"] for r in rows])


def load_scenes(cache_dir: Path | None = None) -> list[tuple[str, np.ndarray, ImageLabels]]:
    """(scene name, RGB image, labels) for every labelled NEON scene."""
    d = data_dir(cache_dir)
    out = []
    for name in SCENES_VOC:
        lab = read_voc(d / f"{name}.xml")
        out.append((name, read_image(d / f"{name}.png"), lab))
    lab = read_deepforest_csv(d / "OSBS_029.csv", d / "OSBS_029.tif")
    out.append(("OSBS_029", read_image(d / "OSBS_029.tif"), lab))
    return out


def build_chips(
    cache_dir: Path | None = None, chip: int = 256, block: int = 512
) -> dict[str, list[Chip]]:
    """Spatially block-split chips of all NEON scenes."""
    splits: dict[str, list[Chip]] = {s: [] for s in SPLIT_FRACTIONS}
    for k, (name, image, lab) in enumerate(load_scenes(cache_dir)):
        h, w = image.shape[:2]
        regions = assign_blocks(block_grid(w, h, block), SPLIT_FRACTIONS, seed=SPLIT_SEED + k)
        labels = lab.label_ids(CLASS_NAMES)
        for split, blocks in regions.items():
            splits[split] += make_chips(
                name, image, lab.boxes, labels, blocks, chip, min_visible=0.5
            )
    return splits
