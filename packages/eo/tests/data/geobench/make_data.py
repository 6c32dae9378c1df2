"""Write tiny GEO-Bench v1 datasets in exactly the benchmark's on-disk format.

For each of the 12 ``m-…`` datasets: ``<benchmark>/<name>/`` with one ``<sample>.hdf5`` per sample
(one HDF5 dataset per band named by its descriptor, segmentation masks as a ``label`` dataset, and
the file attribute ``pickle`` = ``str(pickle.dumps(attr_dict))`` with per-band metadata,
``bands_order`` and — for classification — ``label``), ``task_specs.pkl``, ``band_stats.json``,
``default_partition.json`` and ``0.01x_train`` … ``1.00x_train`` partitions.

The pickles reference ``geobench.dataset.*`` / ``geobench.label.*`` / ``geobench.task.*`` classes,
as the real files do. The ``geobench`` package is not needed: stand-in classes with those module
names are installed in ``sys.modules`` only while pickling, then removed.

Run: ``python make_data.py <out_dir>`` (tests call ``make_geobench(out_dir)``).
"""

from __future__ import annotations

import datetime
import json
import pickle
import sys
import types
from contextlib import contextmanager
from pathlib import Path

import numpy as np

N_SAMPLES = 12
PATCH = 8
FRACTIONS = (
    "0.01x_train",
    "0.02x_train",
    "0.05x_train",
    "0.10x_train",
    "0.20x_train",
    "0.50x_train",
    "1.00x_train",
)

S2 = [
    ("01 - Coastal aerosol", 60),
    ("02 - Blue", 10),
    ("03 - Green", 10),
    ("04 - Red", 10),
    ("05 - Vegetation Red Edge", 20),
    ("06 - Vegetation Red Edge", 20),
    ("07 - Vegetation Red Edge", 20),
    ("08 - NIR", 10),
    ("08A - Vegetation Red Edge", 20),
    ("09 - Water vapour", 60),
    ("10 - SWIR - Cirrus", 60),
    ("11 - SWIR", 20),
    ("12 - SWIR", 20),
]
S1 = [
    "01 - VH.Real",
    "02 - VH.Imaginary",
    "03 - VV.Real",
    "04 - VV.Imaginary",
    "05 - VH.LEE Filtered",
    "06 - VV.LEE Filtered",
    "07 - VH.LEE Filtered.Real",
    "08 - VV.LEE Filtered.Imaginary",
]
L8 = ["02 - Blue", "03 - Green", "04 - Red", "05 - NIR", "06 - SWIR1", "07 - SWIR2"]
RGB = ["Red", "Green", "Blue"]

#: name → (benchmark, label kind, classes, band list [(class, name, resolution, n_bands)], dated)
DATASETS = {
    "m-eurosat": ("classification_v1.0", "cls", 10, [("Sentinel2", n, r, 0) for n, r in S2], False),
    "m-brick-kiln": (
        "classification_v1.0",
        "cls",
        2,
        [("Sentinel2", n, r, 0) for n, r in S2],
        False,
    ),
    "m-pv4ger": (
        "classification_v1.0",
        "cls",
        2,
        [("SpectralBand", n, 0.1, 0) for n in RGB],
        False,
    ),
    "m-so2sat": (
        "classification_v1.0",
        "cls",
        17,
        [("Sentinel1", n, 10, 0) for n in S1]
        + [("Sentinel2", n, r, 0) for n, r in S2 if n[:2] not in ("01", "09", "10")],
        False,
    ),
    "m-forestnet": ("classification_v1.0", "cls", 12, [("Landsat8", n, 15, 0) for n in L8], False),
    "m-bigearthnet": (
        "classification_v1.0",
        "multilabel",
        43,
        [("Sentinel2", n, r, 0) for n, r in S2 if not n.startswith("10")],
        False,
    ),
    "m-cashew-plant": (
        "segmentation_v1.0",
        "seg",
        7,
        [("Sentinel2", n, r, 0) for n, r in S2],
        True,
    ),
    "m-SA-crop-type": (
        "segmentation_v1.0",
        "seg",
        10,
        [("Sentinel2", n, r, 0) for n, r in S2],
        False,
    ),
    "m-nz-cattle": (
        "segmentation_v1.0",
        "seg",
        2,
        [("SpectralBand", n, 0.1, 0) for n in RGB],
        False,
    ),
    "m-NeonTree": (
        "segmentation_v1.0",
        "seg",
        2,
        [("SpectralBand", n, 0.1, 0) for n in RGB]
        + [
            ("HyperSpectralBands", "Neon", 1.0, 5),
            ("ElevationBand", "Canopy Height Model", 1.0, 0),
        ],
        False,
    ),
    "m-pv4ger-seg": (
        "segmentation_v1.0",
        "seg",
        2,
        [("SpectralBand", n, 0.1, 0) for n in RGB],
        False,
    ),
    "m-chesapeake": (
        "segmentation_v1.0",
        "seg",
        7,
        [("SpectralBand", n, 1.0, 0) for n in [*RGB, "NIR"]],
        False,
    ),
}
DATES = (datetime.date(2020, 3, 1), datetime.date(2020, 6, 1))


@contextmanager
def geobench_stand_ins():
    """Temporarily provide ``geobench.dataset``/``label``/``task`` classes for pickling."""
    mods = {
        n: types.ModuleType(n)
        for n in ("geobench", "geobench.dataset", "geobench.label", "geobench.task")
    }

    def cls(module: str, name: str) -> type:
        t = type(name, (), {"__module__": module, "__qualname__": name})
        setattr(mods[module], name, t)
        return t

    for name in (
        "BandInfo",
        "SpectralBand",
        "Sentinel1",
        "Sentinel2",
        "Landsat8",
        "MultiBand",
        "HyperSpectralBands",
        "ElevationBand",
        "SegmentationClasses",
    ):
        cls("geobench.dataset", name)
    for name in ("Classification", "MultiLabelClassification"):
        cls("geobench.label", name)
    cls("geobench.task", "TaskSpecifications")
    saved = {n: sys.modules.get(n) for n in mods}
    sys.modules.update(mods)
    try:
        yield {n: m for n, m in mods.items()}
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


def _obj(t: type, **attrs):
    o = t.__new__(t)
    o.__dict__.update(attrs)
    return o


def _write_dataset(root: Path, name: str, rng: np.random.Generator, mods) -> Path:
    benchmark, kind, n_classes, bands, dated = DATASETS[name]
    ds = mods["geobench.dataset"]
    out = root / benchmark / name
    out.mkdir(parents=True, exist_ok=True)
    infos = []
    for cls_name, band_name, res, n_bands in bands:
        t = getattr(ds, cls_name)
        extra = {"n_bands": n_bands} if n_bands else {}
        wl = (
            {"wavelength": 0.5}
            if cls_name in ("Sentinel2", "Landsat8", "SpectralBand", "Sentinel1")
            else {}
        )
        infos.append(_obj(t, name=band_name, alt_names=(), spatial_resolution=res, **extra, **wl))
    dates = DATES if dated else (None,)
    values: dict[str, list[np.ndarray]] = {i.name: [] for i in infos}
    import h5py

    names = [f"id_{i:04d}" for i in range(N_SAMPLES)]
    for s, sample in enumerate(names):
        attr_dict: dict = {}
        order = []
        label_class = s % n_classes
        with h5py.File(out / f"{sample}.hdf5", "w") as fp:
            for date in dates:
                for info in infos:
                    size = PATCH // 2 if info.name in ("Neon", "Canopy Height Model") else PATCH
                    shape = (
                        (size, size, info.n_bands) if getattr(info, "n_bands", 0) else (size, size)
                    )
                    # class-dependent offset so that a model can learn the fixture
                    data = rng.normal(1000 + 50 * label_class, 100, size=shape).astype(np.int16)
                    descriptor = info.name + (f"_{date.strftime('%Y-%m-%d')}" if date else "")
                    fp.create_dataset(descriptor, data=data)
                    values[info.name].append(data.reshape(-1))
                    attr_dict[descriptor] = {
                        "date": date,
                        "date_id": date,
                        "spatial_resolution": info.spatial_resolution,
                        "band_info": info,
                        "meta_info": None,
                        "transform": None,
                        "crs": None,
                    }
                    order.append(descriptor)
            if kind == "seg":
                seg = _obj(
                    ds.SegmentationClasses,
                    name="label",
                    spatial_resolution=1.0,
                    n_classes=n_classes,
                    _class_names=None,
                )
                mask = rng.integers(0, n_classes, size=(PATCH, PATCH)).astype(np.int16)
                mask[: PATCH // 2] = label_class
                fp.create_dataset("label", data=mask)
                attr_dict["label"] = {
                    "date": None,
                    "date_id": None,
                    "spatial_resolution": 1.0,
                    "band_info": seg,
                    "meta_info": None,
                    "transform": None,
                    "crs": None,
                }
                order.append("label")
            elif kind == "multilabel":
                vec = np.zeros(n_classes, dtype=np.int64)
                vec[[label_class, (label_class + 5) % n_classes]] = 1
                attr_dict["label"] = vec
            else:
                attr_dict["label"] = label_class
            attr_dict["bands_order"] = order
            fp.attrs["pickle"] = str(pickle.dumps(attr_dict))
    stats = {}
    for band_name, vals in values.items():
        v = np.concatenate(vals).astype(np.float64)
        q = np.percentile(v, [0.1, 1, 5, 50, 95, 99, 99.9])
        stats[band_name] = {
            "min": v.min(),
            "max": v.max(),
            "mean": v.mean(),
            "std": v.std(),
            "median": q[3],
            "percentile_0_1": q[0],
            "percentile_1": q[1],
            "percentile_5": q[2],
            "percentile_95": q[4],
            "percentile_99": q[5],
            "percentile_99_9": q[6],
        }
    (out / "band_stats.json").write_text(
        json.dumps({k: {a: float(b) for a, b in d.items()} for k, d in stats.items()}, indent=2)
    )
    # 8 + 2 + 2 at the tests' 12 samples; larger copies (benchmarks) keep 2 + 2 for evaluation
    default = {"train": names[:-4], "valid": names[-4:-2], "test": names[-2:]}
    (out / "default_partition.json").write_text(json.dumps(default, indent=2))
    for frac in FRACTIONS:
        n = max(1, round(float(frac.split("x")[0]) * len(default["train"])))
        (out / f"{frac}_partition.json").write_text(
            json.dumps(
                {
                    "train": default["train"][:n],
                    "valid": default["valid"][: max(1, n // 4)],
                    "test": default["test"],
                },
                indent=2,
            )
        )
    label_mod = mods["geobench.label"]
    label_type = (
        _obj(
            ds.SegmentationClasses,
            name="label",
            spatial_resolution=1.0,
            n_classes=n_classes,
            _class_names=None,
        )
        if kind == "seg"
        else _obj(
            label_mod.MultiLabelClassification
            if kind == "multilabel"
            else label_mod.Classification,
            n_classes=n_classes,
            class_names=None,
        )
    )
    specs = _obj(
        mods["geobench.task"].TaskSpecifications,
        dataset_name=name,
        benchmark_name=benchmark,
        patch_size=(PATCH, PATCH),
        n_time_steps=len(dates),
        bands_info=infos,
        label_type=label_type,
        eval_loss=None,
        eval_metrics=None,
        spatial_resolution=infos[0].spatial_resolution,
    )
    (out / "task_specs.pkl").write_bytes(pickle.dumps(specs))
    return out


def make_geobench(root: Path, names=tuple(DATASETS)) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    with geobench_stand_ins() as mods:
        return {name: _write_dataset(Path(root), name, rng, mods) for name in names}


if __name__ == "__main__":
    for k, v in make_geobench(
        Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "out")
    ).items():
        print(k, v)
