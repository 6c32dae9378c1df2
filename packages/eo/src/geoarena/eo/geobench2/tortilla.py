"""Reader of TACO "tortilla" files, the on-disk format of GEO-Bench-2.

A tortilla is one file: a 200-byte header, the items' bytes back to back, and a Parquet footer
with one row per item. The header holds the magic ``#y`` (``WX`` for a TACO), the footer offset
and length (little-endian uint64 at bytes 2–10 and 10–18) and the number of data partitions.
Footer rows carry ``tortilla:id``, ``tortilla:file_format``, ``tortilla:offset`` and
``tortilla:length`` (relative to the tortilla's own start), ``tortilla:data_split`` and any extra
columns the writer added (labels, ``add_test_split``, ``stac:*`` …).

GEO-Bench-2 nests them: a dataset file's rows are per-sample tortillas
(``file_format == "TORTILLA"``) whose own footers list the sample's items (one GeoTIFF/HDF5/
annotation file per modality, time step or label). Large datasets ship as parts
(``name.0000.part.tortilla`` …); each part is a complete tortilla and the parts' rows are read
together and sorted by id (as tacoreader does).

Items are read in place: rasters through GDAL's ``/vsisubfile/{offset}_{length},{path}`` with
rasterio, anything else as the byte range. Nothing is extracted or copied.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError

HEADER_BYTES = 200
MAGIC = {b"#y", b"WX"}
#: footer columns every tortilla has; everything else is a writer's extra column
CORE_COLUMNS = ("tortilla:id", "tortilla:file_format", "tortilla:offset", "tortilla:length")


def read_footer(path: str | Path, offset: int = 0) -> list[dict[str, Any]]:
    """Rows of the tortilla starting at byte ``offset`` of ``path``, offsets made absolute."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            head = f.read(18)
            if len(head) < 18 or head[:2] not in MAGIC:
                raise DataError(
                    f"not a tortilla at byte {offset} (magic {head[:2]!r}, expected b'#y')", path
                )
            footer_offset = int.from_bytes(head[2:10], "little") + offset
            footer_length = int.from_bytes(head[10:18], "little")
            f.seek(footer_offset)
            blob = f.read(footer_length)
    except OSError as e:
        raise DataError(f"cannot read tortilla: {e.strerror or e}", path) from e
    if len(blob) != footer_length:
        raise DataError(
            f"truncated tortilla: footer wants {footer_length} bytes at {footer_offset}, "
            f"file has {len(blob)}",
            path,
        )
    try:
        rows = pq.read_table(io.BytesIO(blob)).to_pylist()
    except Exception as e:  # pyarrow raises several types for a corrupt footer
        raise DataError(f"tortilla footer is not valid Parquet ({e})", path) from e
    missing = [c for c in CORE_COLUMNS if rows and c not in rows[0]]
    if missing:
        raise DataError(f"tortilla footer lacks columns {missing}", path)
    for r in rows:
        r["tortilla:offset"] = int(r["tortilla:offset"]) + offset
        r["tortilla:length"] = int(r["tortilla:length"])
    return rows


@dataclass(frozen=True)
class TortillaItem:
    """One item (file) inside a tortilla."""

    path: Path
    row: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.row["tortilla:id"])

    @property
    def file_format(self) -> str:
        return str(self.row["tortilla:file_format"])

    @property
    def offset(self) -> int:
        return int(self.row["tortilla:offset"])

    @property
    def length(self) -> int:
        return int(self.row["tortilla:length"])

    @property
    def vsi_path(self) -> str:
        """GDAL virtual path of the item (what tacoreader calls ``internal:subfile``)."""
        return f"/vsisubfile/{self.offset}_{self.length},{self.path}"

    def get(self, column: str, default: Any = None) -> Any:
        return self.row.get(column, default)

    def read_bytes(self) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(self.length)
        if len(data) != self.length:
            raise DataError(f"item {self.id!r} runs past the end of the file", self.path)
        return data

    def read_raster(self, dtype: str | None = None) -> np.ndarray:
        """The item's pixels ``(C, H, W)`` through ``/vsisubfile/``."""
        return self.open_raster(dtype)[0]

    def open_raster(self, dtype: str | None = None) -> tuple[np.ndarray, str | None, tuple]:
        """Pixels, CRS (``EPSG:…`` or ``None``) and the 6-term affine transform."""
        import warnings

        import rasterio
        from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(self.vsi_path) as src:
                    arr = src.read(out_dtype=dtype) if dtype else src.read()
                    crs = src.crs.to_string() if src.crs else None
                    transform = tuple(src.transform)[:6]
        except RasterioIOError as e:
            raise DataError(
                f"item {self.id!r} ({self.file_format}) is not a raster: {e}", self.path
            ) from e
        return arr, crs, transform

    def read_hdf5(self, dataset: str = "data") -> np.ndarray:
        import h5py

        with h5py.File(io.BytesIO(self.read_bytes()), "r") as f:
            if dataset not in f:
                raise DataError(f"HDF5 item {self.id!r} has no dataset {dataset!r}", self.path)
            return f[dataset][:]

    def read_hdf5_json_attr(self, name: str = "annotation") -> Any:
        import h5py

        with h5py.File(io.BytesIO(self.read_bytes()), "r") as f:
            if name not in f.attrs:
                raise DataError(f"HDF5 item {self.id!r} has no attribute {name!r}", self.path)
            raw = f.attrs[name]
        return json.loads(raw if isinstance(raw, str) else bytes(raw).decode())

    def read_parquet(self) -> dict[str, list]:
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(self.read_bytes())).to_pydict()


@dataclass
class TortillaSample:
    """One row of a dataset tortilla (a sample); its items are read lazily."""

    path: Path
    row: dict[str, Any]
    _items: list[TortillaItem] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.row["tortilla:id"])

    @property
    def split(self) -> str:
        """``train``, ``validation`` or ``test`` (``tortilla:data_split``)."""
        return str(self.row.get("tortilla:data_split") or "")

    @property
    def extra_test(self) -> bool:
        """In GEO-Bench-2's additional test set (``add_test_split``, drawn from train)."""
        return bool(self.row.get("add_test_split") or False)

    @cached_property
    def items(self) -> list[TortillaItem]:
        if self.row["tortilla:file_format"] != "TORTILLA":
            return [TortillaItem(self.path, self.row)]
        rows = read_footer(self.path, int(self.row["tortilla:offset"]))
        return [TortillaItem(self.path, r) for r in rows]

    def item(self, key: int | str) -> TortillaItem:
        """Item by position (negative counts from the end) or by ``tortilla:id``."""
        items = self.items
        if isinstance(key, int):
            if not -len(items) <= key < len(items):
                raise DataError(
                    f"sample {self.id!r} has {len(items)} items, no item {key}", self.path
                )
            return items[key]
        for it in items:
            if it.id == key:
                return it
        raise DataError(
            f"sample {self.id!r} has no item {key!r} (items: {[i.id for i in items]})", self.path
        )

    def items_where(self, column: str, value: Any) -> list[TortillaItem]:
        return [it for it in self.items if it.get(column) == value]

    def column(self, name: str, default: Any = None) -> Any:
        """A sample-level value: the sample row's column, else the first item's (GEO-Bench-2
        writes labels on the item rows)."""
        if name in self.row and self.row[name] is not None:
            return self.row[name]
        first = self.items[0].row
        return first.get(name, default)


def dataset_files(folder: str | Path, stem: str) -> list[Path]:
    """``folder/stem.tortilla`` or its parts ``folder/stem.NNNN.part.tortilla`` (sorted)."""
    folder = Path(folder)
    single = folder / f"{stem}.tortilla"
    parts = sorted(folder.glob(f"{stem}.[0-9][0-9][0-9][0-9].part.tortilla"))
    if single.is_file():
        return [single]
    if parts:
        return parts
    raise DataError(f"no {stem}.tortilla or {stem}.NNNN.part.tortilla (looked in {folder})", folder)


def open_tortilla(paths: list[Path] | Path) -> list[TortillaSample]:
    """All samples of one (possibly multi-part) dataset, sorted by ``tortilla:id``."""
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    samples = [TortillaSample(Path(p), r) for p in paths for r in read_footer(p)]
    return sorted(samples, key=lambda s: s.id)
