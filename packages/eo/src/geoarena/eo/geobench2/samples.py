"""Per-dataset sample construction: which items of a GEO-Bench-2 sample tortilla hold which
modality, and how its label is built (facts from the published dataset classes:
``geobench_v2/datasets/<name>.py``; code our own).

Every loader returns raw pixels ``image`` ``(T, C, H, W)`` float32 in the spec's band order
(modalities resized to the largest one), plus the target:

* ``label``: class index (cls) or 0/1 vector (multilabel);
* ``mask``: class per pixel (seg) or AGB per pixel (regression, with ``valid``);
* ``instance_masks`` ``(N, H, W)``, ``labels`` ``(N,)``, ``boxes`` ``(N, 4)`` xyxy (instance_seg);
* ``boxes`` ``(N, 4)`` xyxy and ``labels`` ``(N,)`` (det).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.eo.geobench2.specs import GB2Spec
from geoarena.eo.geobench2.tortilla import TortillaSample

Loader = Callable[[GB2Spec, TortillaSample], dict[str, Any]]
LOADERS: dict[str, Loader] = {}


def loader(*names: str) -> Callable[[Loader], Loader]:
    def deco(fn: Loader) -> Loader:
        for n in names:
            LOADERS[n] = fn
        return fn

    return deco


def _resize(a: np.ndarray, h: int, w: int, order: int = 1) -> np.ndarray:
    """``(…, h0, w0)`` → ``(…, h, w)`` (bilinear for pixels, nearest for labels)."""
    if a.shape[-2:] == (h, w):
        return a
    from scipy.ndimage import zoom

    f = (1,) * (a.ndim - 2) + (h / a.shape[-2], w / a.shape[-1])
    return zoom(a.astype(np.float32), f, order=order)


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate ``(T, C_i, H_i, W_i)`` modalities on C after resizing to the largest."""
    h = max(p.shape[-2] for p in parts)
    w = max(p.shape[-1] for p in parts)
    return np.concatenate([_resize(p.astype(np.float32), h, w) for p in parts], axis=1)


def _series(arrays: list[np.ndarray], t: int) -> np.ndarray:
    """Last ``t`` steps of ``(C, H, W)`` arrays; fewer are zero-padded at the front (as the
    published classes pad)."""
    seq = np.stack(arrays)[-t:].astype(np.float32)
    if len(seq) < t:
        seq = np.concatenate([np.zeros((t - len(seq), *seq.shape[1:]), np.float32), seq])
    return seq


def _one(sample: TortillaSample, key: int | str, dtype: str = "float32") -> np.ndarray:
    return sample.item(key).read_raster(dtype)[None]


def _index_of(names: tuple[str, ...], value: str, sample: TortillaSample) -> int:
    if value not in names:
        raise DataError(f"sample {sample.id!r}: unknown class {value!r}", sample.path)
    return names.index(value)


# -- classification ------------------------------------------------------------------------
BENV2_CLASSES = (
    "Urban fabric",
    "Industrial or commercial units",
    "Arable land",
    "Permanent crops",
    "Pastures",
    "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation",
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland, shrub",
    "Beaches, dunes, sands",
    "Inland wetlands",
    "Coastal wetlands",
    "Inland waters",
    "Marine waters",
)
SO2SAT_CLASSES = (
    "Compact high-rise",
    "Compact middle-rise",
    "Compact low-rise",
    "Open high-rise",
    "Open middle-rise",
    "Open low-rise",
    "Lightweight low-rise",
    "Large low-rise",
    "Sparsely built",
    "Heavy industry",
    "Dense Trees",
    "Scattered trees",
    "Bush, scrub",
    "Low plants",
    "Bare rock or paved",
    "Bare soil or sand",
    "Water",
)
TREESATAI_CLASSES = (
    "Abies",
    "Acer",
    "Alnus",
    "Betula",
    "Cleared",
    "Fagus",
    "Fraxinus",
    "Larix",
    "Picea",
    "Pinus",
    "Populus",
    "Prunus",
    "Pseudotsuga",
    "Quercus",
    "Tilia",
)


def _multi_hot(names: tuple[str, ...], values, sample: TortillaSample) -> np.ndarray:
    y = np.zeros(len(names), np.int64)
    for v in values:
        y[_index_of(names, v, sample)] = 1
    return y


@loader("benv2")
def _benv2(spec, s):
    # items: 0 = S1 (VV, VH), 1 = S2 (12 bands); image order S2 then S1
    image = _stack([_one(s, 1), _one(s, 0)])
    return {"image": image, "label": _multi_hot(BENV2_CLASSES, s.column("labels"), s)}


@loader("so2sat")
def _so2sat(spec, s):
    image = _stack([_one(s, 1), _one(s, 0)])
    labels = list(s.column("labels"))
    if len(labels) != 1:
        raise DataError(f"sample {s.id!r}: so2sat needs one label, got {labels}", s.path)
    return {"image": image, "label": np.int64(_index_of(SO2SAT_CLASSES, labels[0], s))}


@loader("forestnet")
def _forestnet(spec, s):
    return {"image": _one(s, 0), "label": np.int64(int(s.column("labels")))}


@loader("treesatai")
def _treesatai(spec, s):
    aerial = _one(s, 0)[:, [3, 1, 2, 0]]  # stored NIR, G, B, R → R, G, B, NIR
    image = _stack([aerial, _one(s, 1), _one(s, 2)])
    label = _multi_hot(TREESATAI_CLASSES, s.column("species_labels"), s)
    return {"image": image, "label": label}


# -- pixel-wise -----------------------------------------------------------------------------
@loader("biomassters")
def _biomassters(spec, s):
    t = spec.time_steps
    s1 = [it.read_raster("float32") for it in s.items_where("modality", "S1")][:t]
    s2 = [it.read_raster("float32") for it in s.items_where("modality", "S2")][:t]
    if not s1:
        raise DataError(f"sample {s.id!r}: no S1 time steps (modality == 'S1')", s.path)
    # published rule: the first t steps; S2 may have fewer (zero-padded in front); S1 no-data
    # (-9999) becomes 0 (still scored, as published)
    s1a = _series(s1, t)
    nodata = (s1a == -9999).any(axis=(0, 1))
    s1a[:, :, nodata] = 0.0
    if s2:
        s2a = _series(s2, t)
    else:
        s2a = np.zeros((t, len(spec.bands) - 4, *s1a.shape[-2:]), np.float32)
    image = _stack([s1a, s2a])
    # the published target is AGB z-scored with the class's "AGB" stats (mean 0, std 289.89)
    from geoarena.eo.geobench2.stats import ZSCORE

    means, stds = ZSCORE["biomassters"]
    agb = (s.item(-1).read_raster("float32")[0] - means["AGB"]) / stds["AGB"]
    return {"image": image, "mask": agb, "valid": np.isfinite(agb)}


@loader("kuro_siwo")
def _kuro_siwo(spec, s):
    invalid = s.item(5).read_raster()[0].astype(bool)  # 1 = valid data
    dem = s.item(3).read_raster("float32")
    steps = [np.concatenate([s.item(i).read_raster("float32"), dem]) for i in range(3)]
    image = np.nan_to_num(np.stack(steps)) * invalid[None, None]
    raw = s.item(4).read_raster()[0]
    mask = np.zeros_like(raw, dtype=np.int64)
    for src, dst in {0: 1, 1: 2, 2: 3, 3: 0}.items():  # published CLASS_MAPPING
        mask[raw == src] = dst
    return {"image": image.astype(np.float32), "mask": mask}


@loader("dynamic_earthnet")
def _dynamic_earthnet(spec, s):
    planet = s.items_where("modality", "planet") or s.items[:-2]
    # "weekly" setting of the published class: days 1, 5, 10, 15, 20, 25
    pick = [0, 4, 9, 14, 19, 24] if len(planet) >= 25 else list(range(len(planet)))
    steps = [planet[i].read_raster("float32")[[2, 1, 0, 3]] for i in pick]  # BGRN → RGBN
    mask = s.item(-1).read_raster()[0].astype(np.int64)
    return {"image": _series(steps, spec.time_steps), "mask": mask}


def _pastis_images(spec, s) -> np.ndarray:
    s2 = s.item(0).read_hdf5("data").astype(np.float32)  # (T, 10, H, W)
    return _series(list(s2), spec.time_steps)


@loader("pastis")
def _pastis(spec, s):
    sem = s.item(3).read_hdf5("data")[0].astype(np.int64)  # first of 3 label bands
    return {"image": _pastis_images(spec, s), "mask": sem}


@loader("burn_scars")
def _burn_scars(spec, s):
    mask = s.item(1).read_raster()[0].astype(np.int64)
    mask[mask == -1] = 2  # published: no-data → 2
    return {"image": _one(s, 0), "mask": mask}


@loader("spacenet2")
def _spacenet2(spec, s):
    image = _stack([_one(s, 0), _one(s, 1)])
    return {"image": image, "mask": s.item(2).read_raster()[0].astype(np.int64) + 1}


@loader("cloudsen12")
def _cloudsen12(spec, s):
    return {"image": _one(s, 0), "mask": s.item(1).read_raster()[0].astype(np.int64)}


@loader("fotw")
def _fotw(spec, s):
    image = np.stack([s.item(0).read_raster("float32"), s.item(1).read_raster("float32")])
    return {"image": image, "mask": s.item(3).read_raster()[0].astype(np.int64)}


@loader("caffe")
def _caffe(spec, s):
    return {"image": _one(s, 0), "mask": s.item(1).read_raster()[0].astype(np.int64)}


@loader("flair2")
def _flair2(spec, s):
    mask = s.item(1).read_raster()[0].astype(np.int64)
    mask[mask > 13] = 13  # published: codes above 13 are "other"
    return {"image": _one(s, 0), "mask": mask - 1}


@loader("spacenet7")
def _spacenet7(spec, s):
    image = _one(s, 0)[:, :3]
    return {"image": image, "mask": s.item(1).read_raster()[0].astype(np.int64) + 1}


# -- instances and objects ------------------------------------------------------------------
def _boxes_of(masks: np.ndarray) -> np.ndarray:
    out = np.zeros((len(masks), 4), np.float32)
    for i, m in enumerate(masks):
        ys, xs = np.nonzero(m)
        out[i] = (xs.min(), ys.min(), xs.max(), ys.max())
    return out


@loader("pastis_r")
def _pastis_r(spec, s):
    sem = s.item(3).read_hdf5("data")[0].astype(np.int64)
    inst = s.item(4).read_hdf5("data").astype(np.int64)
    ids = [i for i in np.unique(inst) if i != 0]
    masks = np.stack([inst == i for i in ids]) if ids else np.zeros((0, *inst.shape), bool)
    labels = np.array([int(np.unique(sem[m])[0]) for m in masks], np.int64)
    return {
        "image": _pastis_images(spec, s),
        "instance_masks": masks,
        "labels": labels,
        "boxes": _boxes_of(masks),
    }


def _polygon_mask(flat: list[float], h: int, w: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).polygon([(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)], fill=1)
    return np.asarray(img, dtype=bool)


@loader("substation")
def _substation(spec, s):
    image = _one(s, 0)
    h, w = image.shape[-2:]
    anns = s.item(1).read_hdf5_json_attr("annotation")["sample_annotations"]
    masks = [_polygon_mask(a["mask"][0], h, w) for a in anns]
    masks_a = np.stack(masks) if masks else np.zeros((0, h, w), bool)
    # published category_id 1 = power_station; our labels are 0-based foreground classes
    labels = np.array([int(a["category_id"]) - 1 for a in anns], np.int64)
    return {
        "image": image,
        "instance_masks": masks_a,
        "labels": labels,
        "boxes": _boxes_of(masks_a),
    }


def _xywh_to_xyxy(b) -> list[float]:
    x, y, w, h = b
    return [x, y, x + w, y + h]


@loader("nzcattle")
def _nzcattle(spec, s):
    anns = s.item(1).read_hdf5_json_attr("annotation")["boxes"]
    boxes = np.array([_xywh_to_xyxy(a["bbox"]) for a in anns], np.float32).reshape(-1, 4)
    labels = np.array([int(a["category_id"]) - 1 for a in anns], np.int64)
    return {"image": _one(s, 0), "boxes": boxes, "labels": labels}


@loader("everwatch")
def _everwatch(spec, s):
    table = s.item(1).read_parquet()
    boxes = np.stack(
        [np.asarray(table[k], np.float32) for k in ("xmin", "ymin", "xmax", "ymax")], 1
    )
    labels = np.array([_index_of(spec.class_names, v, s) for v in table["label"]], np.int64)
    return {"image": _one(s, 0), "boxes": boxes.reshape(-1, 4), "labels": labels}


def load_sample(spec: GB2Spec, sample: TortillaSample) -> dict[str, Any]:
    """Raw image and target of ``sample`` (see module docstring)."""
    out = LOADERS[spec.name](spec, sample)
    img = out["image"]
    if img.ndim == 3:
        out["image"] = img[None]
    if out["image"].shape[1] != len(spec.bands):
        raise DataError(
            f"sample {sample.id!r}: {out['image'].shape[1]} channels, expected "
            f"{len(spec.bands)} ({', '.join(spec.bands)})",
            sample.path,
        )
    return out
