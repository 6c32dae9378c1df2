"""The 12 GEO-Bench v1 datasets as data (``SPECS``: benchmark, kind, classes, bands, metric),
the band names of their files in our canonical naming, and where a dataset's folder is found
under ``--data-root`` (the real download's folder names, the benchmark root or one dataset's
folder). ``geoarena.eo.data.geobench`` reads them and registers the tasks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geoarena.core.errors import DataError

SPLIT_KEYS = {"train": "train", "val": "valid", "test": "test"}
#: datasets whose published files carry wrong band names (geo-bench issues #28, #29)
WRONG_BAND_NAMES = frozenset({"m-eurosat", "m-brick-kiln"})
#: partitions GEO-Bench ships for label-efficiency experiments
PARTITION_FRACTIONS = (0.01, 0.02, 0.05, 0.10, 0.20, 0.50, 1.00)


@dataclass(frozen=True)
class GeoBenchSpec:
    """What GEO-Bench v1 says about one dataset (paper table 1 and ``task_specs``)."""

    name: str
    benchmark: str  # classification_v1.0 | segmentation_v1.0
    kind: str  # cls | multilabel | seg
    num_classes: int
    patch: int
    input_unit: str
    gsd: float
    capabilities: tuple[str, ...]
    #: other folder names seen for this dataset (tried after ``name``)
    aliases: tuple[str, ...] = ()


SPECS = {
    s.name: s
    for s in (
        GeoBenchSpec(
            "m-eurosat",
            "classification_v1.0",
            "cls",
            10,
            64,
            "s2_l1c_dn",
            10.0,
            ("multispectral", "land_cover"),
        ),
        GeoBenchSpec(
            "m-brick-kiln",
            "classification_v1.0",
            "cls",
            2,
            64,
            "s2_l1c_dn",
            10.0,
            ("multispectral", "detection_like"),
        ),
        GeoBenchSpec(
            "m-pv4ger",
            "classification_v1.0",
            "cls",
            2,
            320,
            "uint8",
            0.1,
            ("rgb", "high_resolution"),
        ),
        GeoBenchSpec(
            "m-so2sat",
            "classification_v1.0",
            "cls",
            17,
            32,
            "s1_s2_mixed",
            10.0,
            ("multispectral", "sar", "urban"),
        ),
        GeoBenchSpec(
            "m-forestnet",
            "classification_v1.0",
            "cls",
            12,
            332,
            "landsat8_dn",
            15.0,
            ("multispectral", "forest"),
        ),
        GeoBenchSpec(
            "m-bigearthnet",
            "classification_v1.0",
            "multilabel",
            43,
            120,
            "s2_l2a_dn",
            10.0,
            ("multispectral", "land_cover"),
        ),
        GeoBenchSpec(
            "m-cashew-plant",
            "segmentation_v1.0",
            "seg",
            7,
            256,
            "s2_l2a_dn",
            10.0,
            ("multispectral", "agriculture"),
            aliases=("m-cashew-plantation",),
        ),
        GeoBenchSpec(
            "m-SA-crop-type",
            "segmentation_v1.0",
            "seg",
            10,
            256,
            "s2_l2a_dn",
            10.0,
            ("multispectral", "agriculture"),
        ),
        GeoBenchSpec(
            "m-nz-cattle",
            "segmentation_v1.0",
            "seg",
            2,
            500,
            "uint8",
            0.1,
            ("rgb", "high_resolution"),
        ),
        GeoBenchSpec(
            "m-NeonTree",
            "segmentation_v1.0",
            "seg",
            2,
            400,
            "mixed_rgb_hs_chm",
            0.1,
            ("rgb", "hyperspectral", "forest"),
        ),
        GeoBenchSpec(
            "m-pv4ger-seg",
            "segmentation_v1.0",
            "seg",
            2,
            320,
            "uint8",
            0.1,
            ("rgb", "high_resolution"),
        ),
        GeoBenchSpec(
            "m-chesapeake",
            "segmentation_v1.0",
            "seg",
            7,
            256,
            "uint8",
            1.0,
            ("rgb", "nir", "land_cover"),
            aliases=("m-chesapeake-landcover",),
        ),
    )
}


def canonical_band_name(name: str, band_class: str) -> str:
    """GEO-Bench band name → our catalogue name where one exists (``02 - Blue`` of a
    Sentinel-2 band → ``B02``; ``Red`` → ``red``), else the GEO-Bench name unchanged."""
    base = name.split(" - ")[0].strip() if " - " in name else None
    if band_class == "Sentinel2" and base:
        return "B8A" if base.upper() == "08A" else f"B{int(base):02d}"
    generic = {
        "red": "red",
        "green": "green",
        "blue": "blue",
        "nir": "nir",
        "swir1": "swir1",
        "swir2": "swir2",
    }
    role = name.split(" - ")[-1].strip().lower()
    if band_class == "Landsat8" and role in generic:
        return generic[role]
    return generic.get(name.lower(), name)


def find_dataset_dir(data_root: Path | None, spec: GeoBenchSpec) -> Path:
    """Locate the dataset folder: ``--data-root`` may be the benchmark root (holding
    ``classification_v1.0/`` and ``segmentation_v1.0/``), one benchmark folder, or the dataset's
    own folder. Folder names are those of the real download (``m-cashew-plant``,
    ``m-chesapeake`` …), then the aliases (``m-cashew-plantation`` …)."""
    if data_root is None:
        raise DataError(
            f"eo/{spec.name} needs the GEO-Bench v1 data: pass --data-root pointing at the folder "
            f"holding {spec.benchmark}/{spec.name}/ (download GEO-Bench with its own tools)"
        )
    root = Path(data_root)
    names = (spec.name, *spec.aliases)
    candidates = [root / spec.benchmark / n for n in names] + [root / n for n in names]
    if root.name in names:
        candidates.append(root)
    for cand in candidates:
        if cand.is_dir():
            return cand  # a missing default_partition.json is reported by read_partition
    raise DataError(
        f"no GEO-Bench v1 folder for eo/{spec.name}; looked for "
        + ", ".join(str(c) for c in candidates),
        root,
    )
