"""Reading the GEO-Bench v1 on-disk format without importing ``geobench``.

Layout of one dataset folder (e.g. ``classification_v1.0/m-eurosat/``):

* ``<sample_name>.hdf5`` — one file per sample: one HDF5 dataset per band, named by the band's
  descriptor (its name, plus ``_<date>`` when dated); segmentation masks are a dataset named
  ``label``. The file attribute ``pickle`` holds ``str(pickle.dumps(attr_dict))``: per band
  ``{date, date_id, spatial_resolution, band_info, meta_info, transform, crs}``, plus
  ``bands_order`` and, for classification, ``label`` (an int, or a 0/1 vector for multi-label).
* ``task_specs.pkl`` — pickled ``TaskSpecifications`` (patch size, bands, label type).
* ``<name>_partition.json`` — ``{"train": [...], "valid": [...], "test": [...]}`` sample names;
  ``default`` plus ``0.01x_train`` … ``1.00x_train``.
* ``band_stats.json`` — per band name: min, max, mean, std, median, percentiles.

The pickles name classes of the ``geobench`` package (``geobench.dataset.Sentinel2``…). We never
import it and never execute pickled code: a restricted unpickler maps every ``geobench`` class to
an inert record of its attributes and allows only plain data types besides.
"""

from __future__ import annotations

import ast
import io
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.errors import DataError


class GeoBenchRecord:
    """Inert stand-in for a pickled ``geobench`` object: its class name and attribute dict."""

    geobench_class = "GeoBenchRecord"

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # REDUCE-style pickles call the class
        self.args = args
        self.__dict__.update(kwargs)

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        self.__dict__.update(state if isinstance(state, dict) else {"state": state})

    def __repr__(self) -> str:
        return f"{self.geobench_class}({self.__dict__})"


_RECORD_TYPES: dict[str, type] = {}

#: (module, name) of non-geobench globals a GEO-Bench pickle may reference: plain data only.
_ALLOWED = {
    ("builtins", n)
    for n in ("set", "frozenset", "tuple", "list", "dict", "bytes", "bytearray", "complex", "slice")
} | {
    ("collections", "OrderedDict"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
    ("affine", "Affine"),
}


def _record_type(module: str, name: str) -> type:
    key = f"{module}.{name}"
    if key not in _RECORD_TYPES:
        _RECORD_TYPES[key] = type(name, (GeoBenchRecord,), {"geobench_class": name})
    return _RECORD_TYPES[key]


def _record_getattr(obj: Any, name: str) -> Any:
    """``getattr`` for pickles that rebuild objects through a class method (``CRS.from_wkt``):
    only on record types, and it returns a record factory, never a real callable."""
    if isinstance(obj, type) and issubclass(obj, GeoBenchRecord):
        return lambda *args, **kwargs: obj(*args, method=name, **kwargs)
    raise pickle.UnpicklingError(
        f"getattr on {type(obj).__name__} is not allowed in a GEO-Bench pickle"
    )


class _GeoBenchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return _record_getattr
        if module == "geobench" or module.startswith("geobench."):
            return _record_type(module, name)
        if module.startswith("rasterio"):  # CRS objects: keep them as inert records
            return _record_type(module, name)
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a GEO-Bench pickle")


def safe_loads(blob: bytes, path: Path) -> Any:
    """Unpickle GEO-Bench metadata with the restricted unpickler; ``DataError`` on failure."""
    try:
        return _GeoBenchUnpickler(io.BytesIO(blob)).load()
    except (
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ValueError,
        TypeError,
        ImportError,
    ) as exc:
        raise DataError(f"unreadable GEO-Bench metadata pickle ({exc})", path) from exc


def read_sample_attrs(fp, path: Path) -> dict[str, Any]:
    """The ``attr_dict`` of an open HDF5 sample (``fp.attrs["pickle"]`` is ``str(bytes)``)."""
    if "pickle" not in fp.attrs:
        raise DataError("HDF5 sample lacks the 'pickle' attribute of GEO-Bench", path)
    raw = fp.attrs["pickle"]
    if isinstance(raw, bytes):
        raw = raw.decode()
    try:
        blob = ast.literal_eval(raw)
    except (ValueError, SyntaxError) as exc:
        raise DataError(f"'pickle' attribute is not a bytes literal ({exc})", path) from exc
    attrs = safe_loads(blob, path)
    if not isinstance(attrs, dict):
        raise DataError(f"'pickle' attribute holds {type(attrs).__name__}, expected dict", path)
    return attrs


def read_sample(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Band arrays (in ``bands_order``, label band included) and the attribute dict of a sample."""
    import h5py

    if not path.exists():
        raise DataError("GEO-Bench sample file does not exist", path)
    try:
        with h5py.File(path, "r") as fp:
            attrs = read_sample_attrs(fp, path)
            order = list(attrs.get("bands_order", list(fp.keys())))
            arrays = {}
            for name in order:
                if name not in fp:
                    raise DataError(f"band {name!r} listed in bands_order is missing", path)
                arrays[name] = np.asarray(fp[name])
    except OSError as exc:
        raise DataError(f"corrupt HDF5 sample ({exc})", path) from exc
    return arrays, attrs


def read_partition(dataset_dir: Path, name: str) -> dict[str, list[str]]:
    """``<name>_partition.json`` as ``{"train": [...], "valid": [...], "test": [...]}``."""
    path = dataset_dir / f"{name}_partition.json"
    if not path.exists():
        known = sorted(
            p.name.removesuffix("_partition.json") for p in dataset_dir.glob("*_partition.json")
        )
        raise DataError(f"partition {name!r} not found; available: {known}", path)
    try:
        part = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed partition JSON ({exc})", path) from exc
    missing = {"train", "valid", "test"} - set(part)
    if missing:
        raise DataError(f"partition lacks splits {sorted(missing)}", path)
    return part


def read_band_stats(dataset_dir: Path) -> dict[str, dict[str, float]]:
    """``band_stats.json``: band name → {mean, std, min, max, …}."""
    path = dataset_dir / "band_stats.json"
    if not path.exists():
        raise DataError("band_stats.json not found", path)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed band_stats.json ({exc})", path) from exc


def read_task_specs(dataset_dir: Path) -> Any:
    """``task_specs.pkl`` as an inert record (attributes such as ``patch_size``, ``bands_info``)."""
    path = dataset_dir / "task_specs.pkl"
    if not path.exists():
        raise DataError("task_specs.pkl not found", path)
    return safe_loads(path.read_bytes(), path)
