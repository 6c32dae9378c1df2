"""TACO "tortilla" files, the on-disk format of GEO-Bench-2, listed through tacoreader.

tacoreader (0.5.6, the version GEO-Bench-2's package pins) is the maintained reader of the
format: ``tacoreader.load`` parses a tortilla's header and Parquet footer (one file, or the parts
``name.000N.part.tortilla`` of a large dataset, concatenated and sorted by ``tortilla:id``) into a
dataframe with one row per item: ``tortilla:id``, ``tortilla:file_format``, ``tortilla:offset``/
``tortilla:length``, ``tortilla:data_split``, the writer's extra columns (labels,
``add_test_split`` …) and ``internal:subfile``, the item's GDAL path
``/vsisubfile/{offset}_{length},{file}``.

GEO-Bench-2 nests them: a dataset file's rows are per-sample tortillas (``file_format ==
"TORTILLA"``) whose own footers, read with the dataframe's ``read(i)``, list the sample's items (one
GeoTIFF/HDF5/annotation file per modality, time step or label). Rasters are read in place with
rasterio through ``internal:subfile``, anything else as its byte range; nothing is extracted.

This module wraps those dataframes in small typed objects (``TortillaSample``/``TortillaItem``,
values as plain Python) for the per-dataset loaders, and turns tacoreader's errors into one line
naming the file.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError


def _tacoreader():
    # imported on first read: tacoreader pulls in pandas/fsspec/requests, which plugin
    # registration (``--list``) must not pay for
    try:
        import tacoreader
    except ImportError as e:  # a partial install; geoarena-eo depends on it
        raise DataError(f"reading GEO-Bench-2 data needs tacoreader==0.5.6 ({e})") from e
    return tacoreader


def _native(value: Any) -> Any:
    """A dataframe cell as plain Python (lists for arrays, ``None`` for missing)."""
    if isinstance(value, np.ndarray):
        return [_native(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN: pandas' missing value
        return None
    if value is not None and type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _records(table) -> list[dict[str, Any]]:
    """Rows as dicts, built column by column (``to_dict("records")`` indexes the dataframe
    subclass row by row and took half of the listing time)."""
    columns = {c: table[c].tolist() for c in table.columns}
    return [{c: _native(v[i]) for c, v in columns.items()} for i in range(len(table))]


def _subfile(row: dict[str, Any]) -> tuple[int, int, Path]:
    """Offset, length and file of an item, parsed by tacoreader from ``internal:subfile``."""
    offset, length, path = _tacoreader().TortillaDataFrame.get_internal_path(row)
    return int(offset), int(length), Path(path)


def load_table(paths: list[Path]):
    """``tacoreader.load`` of one tortilla or of a dataset's parts; errors name the file."""
    tacoreader = _tacoreader()
    names = [str(p) for p in paths]
    printed = io.StringIO()
    try:
        # tacoreader 0.5.6 prints (rather than raises) a part it cannot read and goes on
        # without it; the print is captured so that a lost part fails loudly below
        with contextlib.redirect_stdout(printed):
            table = tacoreader.load(names[0] if len(names) == 1 else names)
    except Exception as e:  # ValueError for a bad magic, pyarrow's types for a bad footer
        raise DataError(_why(e, printed), paths[0]) from e
    seen = {str(_subfile(r)[2]) for r in table[["internal:subfile"]].to_dict("records")}
    lost = [p for p in paths if str(p) not in seen]
    if lost:
        detail = printed.getvalue().strip() or "no rows"
        raise DataError(f"tacoreader could not read this part ({detail})", lost[0])
    return table


def _why(e: Exception, printed: io.StringIO) -> str:
    text = printed.getvalue().strip() or str(e)
    if "Invalid file type" in text:
        return f"not a tortilla (bad magic bytes; tacoreader: {text})"
    return f"unreadable tortilla footer, truncated or corrupt (tacoreader: {text})"


@dataclass(frozen=True)
class TortillaItem:
    """One item (file) inside a tortilla: its dataframe row as plain Python."""

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
        return _subfile(self.row)[0]

    @property
    def length(self) -> int:
        return _subfile(self.row)[1]

    @property
    def vsi_path(self) -> str:
        """GDAL virtual path of the item (tacoreader's ``internal:subfile``)."""
        return str(self.row["internal:subfile"])

    def get(self, column: str, default: Any = None) -> Any:
        return self.row.get(column, default)

    def read_bytes(self) -> bytes:
        offset, length, path = _subfile(self.row)
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(length)
        if len(data) != length:
            raise DataError(f"item {self.id!r} runs past the end of the file", path)
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
    """One row of a dataset tortilla (a sample); its items are listed lazily with tacoreader."""

    path: Path
    row: dict[str, Any]
    _table: Any = field(default=None, repr=False)  # the dataset's TortillaDataFrame
    _pos: int = field(default=0, repr=False)  # this row's position in it

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
        try:
            sub = self._table.read(self._pos)  # the sample tortilla's footer, offsets absolute
        except Exception as e:
            raise DataError(f"sample {self.id!r}: cannot read its tortilla ({e})", self.path) from e
        return [TortillaItem(_subfile(r)[2], r) for r in _records(sub)]

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
        if self.row.get(name) is not None:
            return self.row[name]
        return self.items[0].row.get(name, default)


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
    paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    table = load_table(paths)
    samples = [
        TortillaSample(_subfile(r)[2], r, table, pos) for pos, r in enumerate(_records(table))
    ]
    # tacoreader sorts the parts' rows by id; one file keeps its written order, so sort here
    return sorted(samples, key=lambda s: s.id)
