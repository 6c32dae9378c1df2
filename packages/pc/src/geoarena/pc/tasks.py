"""Point-cloud tasks on the real ASPRS-classified tiles of the laspy 2.7.0 sdist.

``pc/nebraska-asprs``: 25,408 points, EPSG:6880 in US survey feet, ~18 × 12 m; ground /
vegetation (low+medium+high) / building, noise ignored. ``pc/ign-lidarhd``: 37,805 points of IGN
LiDAR HD, EPSG:2154, RGB + NIR; ground / vegetation / bridge, unclassified and artefacts ignored.
Each has 4 spatial stripe folds: ``…-fold0`` … ``…-fold3`` (the plain name is fold 0). The
tasks register on import (``fold_task``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.registry import TASKS
from geoarena.core.samples import SampleSource, declare_sample
from geoarena.core.task import DataContext, Task
from geoarena.pc.asprs import GROUND_VEGETATION_BRIDGE, GROUND_VEGETATION_BUILDING, IGNORE, ClassMap
from geoarena.pc.data import CloudDataConfig, CloudDataModule
from geoarena.pc.io import PointCloud, read_las

_LASPY_SDIST = declare_sample(
    SampleSource(
        "laspy-2.7.0-sdist",
        "pypi-sdist",
        "laspy",
        "2.7.0",
        "laspy-2.7.0.tar.gz",
        "f56feb5445e75d6ff12ee814aab6a35339290e75264ff277c6bf553f3025a3f5",
        "BSD-2-Clause (laspy test data)",
        "ASPRS-classified LAS/LAZ tiles: Nebraska (EPSG:6880), IGN LiDAR HD (EPSG:2154), autzen",
    )
)
SAMPLE = _LASPY_SDIST.name
N_FOLDS = 4


@dataclass(frozen=True)
class LasTileSpec:
    """A labelled LAS tile inside a sample archive."""

    name: str
    relpath: str
    class_map: ClassMap
    require: tuple[str, ...] = ("classification",)
    description: str = ""
    capabilities: tuple[str, ...] = field(default_factory=tuple)
    data: CloudDataConfig = field(default_factory=CloudDataConfig)


TILES = {
    "nebraska-asprs": LasTileSpec(
        "nebraska-asprs",
        "laspy-2.7.0/tests/data/file_with_both_wkt_and_geotiff_vlrs.las",
        GROUND_VEGETATION_BUILDING,
        require=("classification", "intensity", "return_number", "number_of_returns"),
        description="Nebraska ASPRS tile (EPSG:6880, US survey feet, ~18×12 m): ground/vegetation/building",
        capabilities=("lidar", "pc_seg", "building"),
        data=CloudDataConfig(tile_m=12.0, halo_m=3.0),
    ),
    "ign-lidarhd": LasTileSpec(
        "ign-lidarhd",
        "laspy-2.7.0/tests/data/append-bug.laz",
        GROUND_VEGETATION_BRIDGE,
        require=("classification", "intensity", "red", "green", "blue", "nir"),
        description="IGN LiDAR HD tile (EPSG:2154, RGB+NIR): ground/vegetation/bridge",
        capabilities=("lidar", "pc_seg", "multispectral"),
        data=CloudDataConfig(tile_m=40.0, halo_m=8.0),
    ),
}


def tile_path(spec: LasTileSpec, ctx: DataContext) -> Path:
    """The tile inside the fetched sample (``data_root`` wins when it holds the same layout)."""
    if ctx.data_root is not None and (Path(ctx.data_root) / spec.relpath).exists():
        return Path(ctx.data_root) / spec.relpath
    from geoarena.core.samples import sample_path

    return sample_path(SAMPLE, ctx.cache_dir) / spec.relpath


def make_task(spec: LasTileSpec, fold: int) -> Task:
    def datamodule(ctx: DataContext) -> CloudDataModule:
        def load() -> PointCloud:
            return read_las(tile_path(spec, ctx), require=spec.require)

        from dataclasses import replace

        cfg = replace(spec.data, fold=fold, quick_points=12000 if ctx.quick else 0)
        return CloudDataModule(load, spec.class_map, cfg)

    names = spec.class_map.class_names
    suffix = "" if fold == 0 else f"-fold{fold}"
    return Task(
        name=f"pc/{spec.name}{suffix}",
        kind="pc_seg",
        datamodule=datamodule,
        metrics=lambda: ConfusionMatrixMetric(
            len(names), "point_labels", ignore_index=IGNORE, class_names=names
        ),
        metric="miou",
        num_classes=len(names),
        class_names=names,
        capabilities=spec.capabilities,
        modality="pc",
        dataset=f"{spec.name}-fold{fold}",
        description=f"{spec.description}; spatial stripe fold {fold} of {N_FOLDS} held out",
    )


def task_names(spec_name: str) -> list[str]:
    return [f"pc/{spec_name}"] + [f"pc/{spec_name}-fold{k}" for k in range(1, N_FOLDS)]


@dataclass(frozen=True)
class TileFold:
    """One registered task: a tile with one of its stripe folds held out."""

    spec: LasTileSpec
    fold: int

    @property
    def task_name(self) -> str:
        return task_names(self.spec.name)[self.fold]


@TASKS.register_each(
    [TileFold(spec, fold) for spec in TILES.values() for fold in range(N_FOLDS)],
    name=lambda row: row.task_name,
)
def fold_task(row: TileFold) -> Task:
    """``pc/<tile>`` (fold 0) and ``pc/<tile>-fold<k>``: registered on import, one per row."""
    return make_task(row.spec, row.fold)
