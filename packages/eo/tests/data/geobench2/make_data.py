"""Write a tiny copy of the 19 GEO-Bench-2 datasets in their on-disk layout (TACO "tortilla").

Run it with the writer stack GEO-Bench-2 itself used — tacotoolbox 0.5.2 + pytortilla 0.5.1 —
plus tacoreader 0.5.6 (GEO-Bench-2's reader), rasterio, h5py and geopandas, in a throw-away
environment (the writers are not part of GeoArena's runtime; tacoreader is, as its reader)::

    python3.11 -m venv /tmp/peer-taco
    /tmp/peer-taco/bin/pip install tacotoolbox==0.5.2 pytortilla==0.5.1 tacoreader==0.5.6 \
        rasterio h5py geopandas
    /tmp/peer-taco/bin/python packages/eo/tests/data/geobench2/make_data.py

Layout (as GEO-Bench-2's generator scripts build it): every sample is a tortilla of its items
(one GeoTIFF / HDF5 / annotation file per modality, time step or label), and the dataset file is
a tortilla whose rows are those sample tortillas (``file_format="TORTILLA"``) carrying
``tortilla:data_split`` (train/validation/test) and ``add_test_split`` (the extra test set drawn
from train). Datasets that GEO-Bench-2 ships in parts (``*.000N.part.tortilla``) are written in
parts here too. Sample-level labels sit on the item rows (where the published dataset classes
read them, ``sample_row.iloc[0]["labels"]``).

Besides the tortillas, each dataset folder gets ``expected.json``: splits, labels, CRS/transform,
what tacoreader 0.5.6 resolved as each item's ``/vsisubfile/`` offset and length, and each item's
array as written (shape, dtype, SHA-256 of its bytes). The tests read the tortillas the way the
GEO-Bench-2 data module does (tacoreader listing, rasterio pixels) and compare against both; the
hashes come from the writer's arrays, not from a reader. The data are random (seeded); only the
layout is real.

Facts per dataset (item order, bands per modality, label encoding, class counts) come from the
public GEO-Bench-2 dataset classes (The-AI-Alliance/GEO-Bench-2, ``geobench_v2/datasets``).
This file holds those facts and draws each dataset's arrays; ``tortilla_writer.py`` writes the
items, builds the tortillas and records ``expected.json``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd


def _sibling(name: str):
    """Import ``<name>.py`` next to this file (tests folders are not packages, and a loader by path
    would not find it with a plain import)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"geobench2_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_writer = _sibling("tortilla_writer")
Writer, OUT, SPLITS = _writer.Writer, _writer.OUT, _writer.SPLITS
SIZE = 16  # pixels per side (16: one ViT patch)

# --- per-dataset facts ---------------------------------------------------------------------
BENV2 = [
    "Urban fabric", "Industrial or commercial units", "Arable land", "Permanent crops",
    "Pastures", "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation",
    "Agro-forestry areas", "Broad-leaved forest", "Coniferous forest", "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation", "Transitional woodland, shrub",
    "Beaches, dunes, sands", "Inland wetlands", "Coastal wetlands", "Inland waters",
    "Marine waters",
]  # fmt: skip
SO2SAT = [
    "Compact high-rise", "Compact middle-rise", "Compact low-rise", "Open high-rise",
    "Open middle-rise", "Open low-rise", "Lightweight low-rise", "Large low-rise",
    "Sparsely built", "Heavy industry", "Dense Trees", "Scattered trees", "Bush, scrub",
    "Low plants", "Bare rock or paved", "Bare soil or sand", "Water",
]  # fmt: skip
TREESATAI = [
    "Abies", "Acer", "Alnus", "Betula", "Cleared", "Fagus", "Fraxinus", "Larix", "Picea",
    "Pinus", "Populus", "Prunus", "Pseudotsuga", "Quercus", "Tilia",
]  # fmt: skip
EVERWATCH = [
    "White Ibis", "Great Egret", "Great Blue Heron", "Snowy Egret", "Wood Stork",
    "Roseate Spoonbill", "Anhinga", "Unknown White",
]  # fmt: skip


def u16(rng, c, h=SIZE, w=SIZE, t=None):
    shape = (c, h, w) if t is None else (t, c, h, w)
    return rng.integers(1, 10000, size=shape).astype(np.uint16)


def f32(rng, c, h=SIZE, w=SIZE, t=None, scale=1.0, loc=0.0):
    shape = (c, h, w) if t is None else (t, c, h, w)
    return (rng.normal(loc, scale, size=shape)).astype(np.float32)


def cls_mask(rng, n, lo=0, dtype=np.uint8):
    return rng.integers(lo, lo + n, size=(1, SIZE, SIZE)).astype(dtype)


def boxes(rng, n, size=SIZE):
    """n boxes (x, y, w, h) inside the chip, at least 3 px wide."""
    out = []
    for _ in range(n):
        w, h = rng.integers(3, size // 2, size=2)
        x, y = rng.integers(0, size - w), rng.integers(0, size - h)
        out.append([int(x), int(y), int(w), int(h)])
    return out


# --- the 19 datasets -----------------------------------------------------------------------
def make_all() -> None:
    rng = np.random.default_rng(20251120)
    n = len(SPLITS)

    w = Writer("benv2", rng)
    for i in range(n):
        labels = sorted(rng.choice(BENV2, size=int(rng.integers(1, 4)), replace=False).tolist())
        w.add(i, [w.tif(i, "s1", f32(rng, 2, loc=-12, scale=5)), w.tif(i, "s2", u16(rng, 12))],
              {"labels": labels}, {"lon": 10.0 + i, "lat": 50.0})  # fmt: skip
    w.build("geobench_benv2.tortilla")

    w = Writer("biomassters", rng, georef=False)
    for i in range(n):
        items = [
            dict(w.tif(i, f"S1_{t:02d}", f32(rng, 4, loc=-12, scale=4)), extra={"modality": "S1"})
            for t in range(3)
        ]
        items += [
            dict(w.tif(i, f"S2_{t:02d}", u16(rng, 10)), extra={"modality": "S2"}) for t in range(2)
        ]
        items.append(
            dict(w.tif(i, "agb", np.abs(f32(rng, 1, scale=80.0))), extra={"modality": "AGB"})
        )
        w.add(i, items, {}, {})
    w.build("geobench_biomassters.tortilla", parts=2)

    w = Writer("so2sat", rng)
    for i in range(n):
        w.add(i, [w.tif(i, "s1", f32(rng, 2, scale=0.1)), w.tif(i, "s2", f32(rng, 10, scale=0.05, loc=0.15))],
              {"labels": [SO2SAT[int(rng.integers(17))]]}, {})  # fmt: skip
    w.build("geobench_so2sat.tortilla")

    w = Writer("forestnet", rng)
    for i in range(n):
        w.add(i, [w.tif(i, "image", rng.integers(0, 255, (6, SIZE, SIZE)).astype(np.uint8))],
              {"labels": int(rng.integers(12))}, {})  # fmt: skip
    w.build("geobench_forestnet.tortilla")

    w = Writer("treesatai", rng)
    for i in range(n):
        species = sorted(
            rng.choice(TREESATAI, size=int(rng.integers(1, 3)), replace=False).tolist()
        )
        w.add(i, [w.tif(i, "aerial", rng.integers(0, 255, (4, SIZE, SIZE)).astype(np.uint8)),
                  w.tif(i, "s1", f32(rng, 3, loc=-8, scale=3)), w.tif(i, "s2", u16(rng, 12))],
              {"species_labels": species, "dist_labels": [round(1.0 / len(species), 3)] * len(species)}, {})  # fmt: skip
    w.build("geobench_treesatai.tortilla")

    w = Writer("kuro_siwo", rng)
    for i in range(n):
        items = [
            w.tif(i, t, f32(rng, 2, loc=0.05, scale=0.03))
            for t in ("pre_event_1", "pre_event_2", "post_event")
        ]
        items += [w.tif(i, "dem", f32(rng, 1, loc=90, scale=50)), w.tif(i, "mask", cls_mask(rng, 4)),
                  w.tif(i, "invalid_data", np.ones((1, SIZE, SIZE), np.uint8))]  # fmt: skip
        w.add(i, items, {}, {})
    w.build("geobench_kuro_siwo.tortilla")

    w = Writer("dynamic_earthnet", rng)
    for i in range(n):
        items = [
            dict(w.tif(i, f"planet_{d:02d}", u16(rng, 4)), extra={"modality": "planet"})
            for d in range(25)
        ]
        items.append(dict(w.tif(i, "s2", u16(rng, 12)), extra={"modality": "s2"}))
        items.append(dict(w.tif(i, "mask", cls_mask(rng, 7)), extra={"modality": "mask"}))
        w.add(i, items, {}, {})
    w.build("geobench_dynamic_earthnet.tortilla", parts=3)

    w = Writer("pastis", rng)
    for i in range(n):
        t2, t1 = 4, 3
        sem = rng.integers(0, 20, (3, SIZE, SIZE)).astype(np.uint8)
        inst = np.zeros((SIZE, SIZE), np.int64)
        for k, (x, y, bw, bh) in enumerate(boxes(rng, 3), start=1):
            inst[y : y + bh, x : x + bw] = k
            sem[0, y : y + bh, x : x + bw] = 1 + (k % 18)
        items = [w.h5(i, "s2", u16(rng, 10, t=t2).astype(np.int16)), w.h5(i, "s1_asc", f32(rng, 3, t=t1, loc=-10, scale=3)),
                 w.h5(i, "s1_desc", f32(rng, 3, t=t1, loc=-10, scale=3)), w.h5(i, "semantic", sem), w.h5(i, "instance", inst)]  # fmt: skip
        w.add(i, items, {"dates": [20190101 + 10 * d for d in range(t2)]}, {})
    w.build("geobench_pastis.tortilla", parts=3)

    w = Writer("burn_scars", rng)
    for i in range(n):
        mask = rng.integers(-1, 2, (1, SIZE, SIZE)).astype(np.int16)
        w.add(
            i, [w.tif(i, "image", f32(rng, 6, loc=0.1, scale=0.05)), w.tif(i, "mask", mask)], {}, {}
        )
    w.build("geobench_burn_scars.tortilla")

    w = Writer("spacenet2", rng)
    for i in range(n):
        seg = cls_mask(rng, 2)
        w.add(i, [w.tif(i, "worldview", u16(rng, 8)), w.tif(i, "pan", u16(rng, 1)), w.tif(i, "segmentation", seg),
                  w.tif(i, "instance", seg * rng.integers(1, 5, seg.shape).astype(np.uint8))], {}, {})  # fmt: skip
    w.build("geobench_spacenet2.tortilla", parts=3)

    w = Writer("cloudsen12", rng)
    for i in range(n):
        w.add(i, [w.tif(i, "l1c", u16(rng, 12)), w.tif(i, "target", cls_mask(rng, 4))], {}, {})
    w.build("geobench_cloudsen12.tortilla")

    w = Writer("fotw", rng)
    for i in range(n):
        sem = cls_mask(rng, 3)
        w.add(i, [w.tif(i, "win_a", u16(rng, 4)), w.tif(i, "win_b", u16(rng, 4)),
                  w.tif(i, "instance_mask", (sem == 1).astype(np.int32) * 7), w.tif(i, "semantic_mask", sem)], {}, {})  # fmt: skip
    w.build("geobench_fotw.tortilla")

    w = Writer("caffe", rng)
    for i in range(n):
        w.add(i, [w.tif(i, "image", rng.integers(0, 255, (1, SIZE, SIZE)).astype(np.uint8)),
                  w.tif(i, "mask", cls_mask(rng, 4))], {}, {})  # fmt: skip
    w.build("geobench_caffe.tortilla")

    w = Writer("flair2", rng)
    for i in range(n):
        w.add(i, [w.tif(i, "aerial", rng.integers(0, 255, (5, SIZE, SIZE)).astype(np.uint8)),
                  w.tif(i, "mask", cls_mask(rng, 19, lo=1))], {}, {})  # fmt: skip
    w.build("geobench_flair2.tortilla")

    w = Writer("spacenet7", rng)
    for i in range(n):
        w.add(i, [w.tif(i, "image", rng.integers(0, 255, (4, SIZE, SIZE)).astype(np.uint8)),
                  w.tif(i, "mask", cls_mask(rng, 2))], {}, {})  # fmt: skip
    w.build("geobench_spacenet7.tortilla")

    w = Writer("substation", rng)
    for i in range(n):
        annots = []
        for x, y, bw, bh in boxes(rng, int(rng.integers(1, 3))):
            poly = [x, y, x + bw, y, x + bw, y + bh, x, y + bh]
            annots.append({"category_id": 1, "bbox": [x, y, bw, bh], "mask": [poly]})
        w.add(i, [w.tif(i, "image", u16(rng, 13)),
                  w.h5(i, "annotation", None, {"annotation": {"sample_annotations": annots}})], {}, {})  # fmt: skip
    w.build("geobench_substation.tortilla")

    w = Writer("everwatch", rng, georef=False)
    for i in range(n):
        rows = [
            (x, y, x + bw, y + bh, EVERWATCH[int(rng.integers(8))])
            for x, y, bw, bh in boxes(rng, 3)
        ]
        frame = pd.DataFrame(rows, columns=["xmin", "ymin", "xmax", "ymax", "label"])
        w.add(i, [w.tif(i, "image", rng.integers(0, 255, (3, SIZE, SIZE)).astype(np.uint8)),
                  w.parquet(i, "annotations", frame)], {}, {})  # fmt: skip
    w.build("geobench_everwatch.tortilla")

    w = Writer("nzcattle", rng)
    for i in range(n):
        anns = [{"category_id": 1, "bbox": b} for b in boxes(rng, int(rng.integers(1, 4)))]
        w.add(i, [w.tif(i, "image", rng.integers(0, 255, (3, SIZE, SIZE)).astype(np.uint8)),
                  w.h5(i, "annotation", None, {"annotation": {"boxes": anns}})], {}, {})  # fmt: skip
    w.build("geobench_nzcattle.tortilla")


if __name__ == "__main__":
    make_all()
    print("wrote", sorted(p.name for p in OUT.iterdir() if p.is_dir()))
