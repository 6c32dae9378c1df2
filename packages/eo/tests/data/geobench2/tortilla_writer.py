"""The tortilla writer of the GEO-Bench-2 fixtures: collects one dataset's items (GeoTIFF, HDF5,
GeoParquet) in a scratch folder, builds the sample tortillas and the dataset tortilla (in parts
where GEO-Bench-2 ships parts) with pytortilla, and records in ``expected.json`` what tacoreader
reads back. Needs GEO-Bench-2's writer stack (see ``make_data.py``, which drives it)."""

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
SPLITS = ["train"] * 4 + ["validation"] * 2 + ["test"] * 2 + ["train"]  # last: extra test
EXTRA = [False] * 8 + [True]
CRS = "EPSG:32631"


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
