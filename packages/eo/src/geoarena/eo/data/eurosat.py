"""EuroSAT in its distributed folder format: ``<root>/<ClassName>/<ClassName>_<n>.tif`` (13-band
Sentinel-2 GeoTIFFs, EuroSAT-MS) or ``.jpg`` (EuroSAT RGB). Registered as ``eo/eurosat``
(``--data-root`` = the folder holding the class folders, or its parent ``EuroSAT_MS``/``2750``).

EuroSAT has no official split; we use a seeded, class-stratified 60/20/20 split fixed per
dataset (split seed 0), and normalise with per-band statistics of the training split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext, Task
from geoarena.eo.data.datamodule import ChipArrays, ChipDataModule
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.raster_io import read_raster

EUROSAT_CLASSES = (
    "AnnualCrop",
    "Forest",
    "HerbaceousVegetation",
    "Highway",
    "Industrial",
    "Pasture",
    "PermanentCrop",
    "Residential",
    "River",
    "SeaLake",
)
S2_BANDS = (
    "B01",
    "B02",
    "B03",
    "B04",
    "B05",
    "B06",
    "B07",
    "B08",
    "B09",
    "B10",
    "B11",
    "B12",
    "B8A",
)
RGB_BANDS = ("red", "green", "blue")


def find_class_root(data_root: Path) -> Path:
    """The folder whose sub-folders are the EuroSAT class names."""
    for cand in (
        data_root,
        data_root / "EuroSAT_MS",
        data_root / "2750",
        data_root / "EuroSAT",
        data_root / "eurosat",
    ):
        if cand.is_dir() and any((cand / c).is_dir() for c in EUROSAT_CLASSES):
            return cand
    raise DataError(
        f"no EuroSAT class folders ({', '.join(EUROSAT_CLASSES[:3])}, …) found", data_root
    )


def read_eurosat(
    root: Path, max_per_class: int | None = None, split_seed: int = 0
) -> tuple[ChipArrays, tuple[str, ...]]:
    """All images of the class folders → chips with a stratified 60/20/20 split."""
    classes = [c for c in EUROSAT_CLASSES if (root / c).is_dir()]
    images, labels = [], []
    n_bands = None
    for ci, cls in enumerate(classes):
        files = sorted([*(root / cls).glob("*.tif"), *(root / cls).glob("*.jpg")])[:max_per_class]
        for f in files:
            arr, _ = read_raster(f, expected_bands=n_bands)
            n_bands = n_bands or arr.shape[0]
            if n_bands not in (3, 13):
                raise DataError(f"EuroSAT images have 13 (MS) or 3 (RGB) bands, found {n_bands}", f)
            images.append(arr)
            labels.append(ci)
    if not images:
        raise DataError("EuroSAT class folders hold no .tif/.jpg images", root)
    labels_arr = np.array(labels)
    split = np.zeros(len(labels), np.int64)
    rng = np.random.default_rng(split_seed)
    for ci in np.unique(labels_arr):
        idx = rng.permutation(np.flatnonzero(labels_arr == ci))
        n_val = n_test = max(1, round(0.2 * len(idx)))
        split[idx[:n_val]] = 1
        split[idx[n_val : n_val + n_test]] = 2
    chips = ChipArrays(np.stack(images), labels_arr, split, groups=np.arange(len(labels)))
    bands = S2_BANDS if n_bands == 13 else RGB_BANDS
    return chips, bands


def eurosat_datamodule(ctx: DataContext) -> ChipDataModule:
    if ctx.data_root is None:
        raise DataError(
            "eo/eurosat needs --data-root pointing at the EuroSAT class folders (EuroSAT_MS or 2750)"
        )
    root = find_class_root(Path(ctx.data_root))
    chips, bands = read_eurosat(root, max_per_class=50 if ctx.quick else None)
    info = RasterInfo(
        band_names=bands,
        input_unit="s2_l1c_dn" if len(bands) == 13 else "uint8",
        gsd=10.0,
        class_names=EUROSAT_CLASSES,
        source=f"EuroSAT folder format at {root}",
    )
    return ChipDataModule(chips, "cls", info)


@TASKS.register("eo/eurosat")
def eurosat() -> Task:
    return Task(
        name="eo/eurosat",
        kind="cls",
        datamodule=eurosat_datamodule,
        metrics=lambda: ConfusionMatrixMetric(10, target_key="label", class_names=EUROSAT_CLASSES),
        metric="overall_accuracy",
        num_classes=10,
        class_names=EUROSAT_CLASSES,
        capabilities=("classification", "multispectral", "land_cover"),
        modality="eo",
        needs_data_root=True,
        description="EuroSAT (folder format), seeded stratified 60/20/20 split",
    )
