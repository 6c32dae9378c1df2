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
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytortilla
import rasterio
import tacoreader
from rasterio.transform import from_origin

OUT = Path(__file__).resolve().parent
SIZE = 16  # pixels per side (16: one ViT patch)
SPLITS = ["train"] * 4 + ["validation"] * 2 + ["test"] * 2 + ["train"]  # last: extra test
EXTRA = [False] * 8 + [True]
CRS = "EPSG:32631"

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


class Writer:
    """Collects one dataset's items as files in a scratch folder, then builds the tortillas."""

    def __init__(self, name: str, rng: np.random.Generator, georef: bool = True):
        self.name = name
        self.rng = rng
        self.georef = georef
        self.tmp = Path(tempfile.mkdtemp(prefix=f"gb2-{name}-"))
        self.expected_arrays: dict[str, np.ndarray] = {}
        self.samples: list[dict] = []

    def transform(self, i: int):
        return from_origin(500000.0 + 160.0 * i, 4500000.0, 10.0, 10.0)

    def tif(self, sample: int, item: str, arr: np.ndarray) -> dict:
        """A GeoTIFF item (``(C, H, W)``)."""
        path = self.tmp / f"s{sample}_{item.replace('/', '_')}.tif"
        c, h, w = arr.shape
        kw = {"crs": CRS, "transform": self.transform(sample)} if self.georef else {}
        with rasterio.open(
            path, "w", driver="GTiff", count=c, height=h, width=w, dtype=arr.dtype, **kw
        ) as dst:
            dst.write(arr)
        self.expected_arrays[f"{sample}/{item}"] = arr
        return {"id": item, "path": path, "file_format": "GTiff", "shape": (h, w)}

    def h5(self, sample: int, item: str, arr: np.ndarray | None, attrs: dict | None = None) -> dict:
        """An HDF5 item: dataset ``data`` and/or a JSON attribute ``annotation``."""
        path = self.tmp / f"s{sample}_{item}.h5"
        with h5py.File(path, "w") as f:
            if arr is not None:
                f.create_dataset("data", data=arr)
                self.expected_arrays[f"{sample}/{item}"] = arr
            for k, v in (attrs or {}).items():
                f.attrs[k] = json.dumps(v)
        return {"id": item, "path": path, "file_format": "HDF5", "shape": None}

    def parquet(self, sample: int, item: str, frame: pd.DataFrame) -> dict:
        """A GeoParquet annotation table (EverWatch boxes)."""
        import geopandas as gpd
        from shapely.geometry import box

        geo = gpd.GeoDataFrame(
            frame,
            geometry=[box(*r) for r in frame[["xmin", "ymin", "xmax", "ymax"]].to_numpy()],
        )
        path = self.tmp / f"s{sample}_{item}.parquet"
        geo.to_parquet(path)
        # the published class parses a /vsisubfile path for this item, so it is not BYTES there;
        # its GDAL format name is not in the public code — our reader reads it by offset either way
        return {"id": item, "path": path, "file_format": "BYTES", "shape": None}

    def add(self, idx: int, items: list[dict], item_extra: dict, sample_extra: dict) -> None:
        self.samples.append(
            {"idx": idx, "items": items, "item_extra": item_extra, "extra": sample_extra}
        )

    # -- tortilla building ------------------------------------------------------------------
    def _stac(self, sample: int, shape) -> dict | None:
        if not self.georef or shape is None:
            return None
        return {
            "crs": CRS,
            "geotransform": self.transform(sample).to_gdal(),
            "raster_shape": shape,
            "time_start": 1_600_000_000 + 86_400 * sample,
        }

    def build(self, files: str, parts: int = 1) -> list[Path]:
        dest = OUT / self.name
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        outer = []
        for s in self.samples:
            i = s["idx"]
            inner = [
                pytortilla.datamodel.Sample(
                    id=it["id"],
                    path=it["path"],
                    file_format=it["file_format"],
                    data_split=SPLITS[i],
                    stac_data=self._stac(i, it["shape"]),
                    add_test_split=EXTRA[i],
                    **{**s["item_extra"], **it.get("extra", {})},
                )
                for it in s["items"]
            ]
            sample_file = self.tmp / f"{self.name}_{i:04d}.tortilla"
            pytortilla.create(
                pytortilla.datamodel.Samples(samples=inner), sample_file, quiet=True, nworkers=1
            )
            first = s["items"][0]
            outer.append(
                pytortilla.datamodel.Sample(
                    id=f"{self.name}_{i:04d}",
                    path=sample_file,
                    file_format="TORTILLA",
                    data_split=SPLITS[i],
                    stac_data=self._stac(i, first["shape"]),
                    add_test_split=EXTRA[i],
                    **s["extra"],
                )
            )
        total = sum(o.path.stat().st_size for o in outer)
        # pytortilla splits into parts by size: a chunk of ~1/parts of the data gives >= parts files
        chunk = f"{total / parts / 1000 * 1.01:.3f}KB" if parts > 1 else "20GB"
        written = pytortilla.create(
            pytortilla.datamodel.Samples(samples=outer),
            dest / files,
            chunk_size=chunk,
            quiet=True,
            nworkers=1,
        )
        paths = written if isinstance(written, list) else [written]
        self._record(dest, paths)
        shutil.rmtree(self.tmp)
        return paths

    def _record(self, dest: Path, paths: list[Path]) -> None:
        """What GEO-Bench-2's reader (tacoreader) sees: splits, extras, item offsets, and each
        item read back through its /vsisubfile path (checked equal to what was written)."""
        table = tacoreader.load([str(p) for p in paths])
        samples = []
        for r in range(len(table)):
            row = table.iloc[r]
            sub = table.read(r)
            items = []
            for j in range(len(sub)):
                it = sub.iloc[j]
                m = tacoreader.TortillaDataFrame.get_internal_path(it)
                entry = {
                    "id": it["tortilla:id"],
                    "file_format": it["tortilla:file_format"],
                    "offset": int(m[0]),
                    "length": int(m[1]),
                    "file": Path(m[2]).name,
                }
                key = f"{int(row['tortilla:id'].rsplit('_', 1)[1])}/{it['tortilla:id']}"
                if it["tortilla:file_format"] == "GTiff":
                    with rasterio.open(it["internal:subfile"]) as src:
                        back = src.read()
                        entry["crs"] = src.crs.to_string() if src.crs else None
                        entry["transform"] = list(src.transform)[:6] if src.crs else None
                    if not np.array_equal(back, self.expected_arrays[key]):
                        raise AssertionError(f"{self.name} {key}: tacoreader read-back differs")
                if key in self.expected_arrays:
                    arr = self.expected_arrays[key]
                    entry["array"] = {
                        "shape": list(arr.shape),
                        "dtype": str(arr.dtype),
                        "sha256": hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest(),
                        "sum": float(arr.astype(np.float64).sum()),
                    }
                items.append(entry)
            extra_cols = [
                c
                for c in sub.columns
                if c.split(":")[0] not in {"internal", "tortilla", "stac", "rai"}
            ]
            samples.append(
                {
                    "id": row["tortilla:id"],
                    "split": row["tortilla:data_split"],
                    "add_test_split": bool(row["add_test_split"]),
                    "items": items,
                    "item_columns": {
                        c: _jsonable(sub.iloc[0][c]) for c in extra_cols if c != "add_test_split"
                    },
                }
            )
        (dest / "expected.json").write_text(
            json.dumps({"files": [p.name for p in paths], "samples": samples}, indent=1) + "\n"
        )


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


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
