"""Task and DataModule: what is evaluated, on which data, with which metric."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from geoarena.core.metrics import Metric

TaskKind = Literal[
    "cls",
    "multilabel",
    "seg",
    "regression",
    "instance_seg",
    "det",
    "obb",
    "pc_seg",
    "geoparse",
    "ner",
]
Split = Literal["train", "val", "test"]


def default_cache_dir() -> Path:
    """Where fetched samples and derived data live (``$GEOARENA_CACHE`` or ``./.cache/geoarena``)."""
    return Path(os.environ.get("GEOARENA_CACHE", Path.cwd() / ".cache" / "geoarena")).resolve()


@dataclass(frozen=True)
class DataContext:
    """Everything a data factory may need to locate and prepare data.

    Attributes:
        data_root: user-given root for benchmark data by path (GEO-Bench, DOTA, …); ``None`` for
            embedded sample data.
        cache_dir: folder for fetched samples and derived chips.
        quick: shrink the data (fewer chips/points/documents) for a laptop run.
    """

    data_root: Path | None = None
    cache_dir: Path = field(default_factory=default_cache_dir)
    quick: bool = False


class DataModule(ABC):
    """A task's data. Samples are dicts (``image``, ``mask``, ``label``, ``boxes``, ``points``,
    ``text``…); batches are dicts of stacked tensors or lists.

    ``setup`` must be deterministic in ``(label_fraction, seed)``: the label fraction subsets the
    training split only, and validation/test never change.
    """

    #: what a model needs to know about the data (bands, units, normalisation, classes…): a
    #: frozen dataclass declared by the modality's package (e.g. ``geoarena.eo.data.info``'s
    #: ``RasterInfo``); the modality's models read it, core never does.
    info: Any

    @abstractmethod
    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        """Prepare splits; called once per run before ``loader``."""

    @abstractmethod
    def loader(
        self, split: Split, batch_size: int, shuffle: bool | None = None
    ) -> Iterable[dict[str, Any]]:
        """Iterate batches of ``split``; ``shuffle`` defaults to ``split == "train"``."""

    def describe(self) -> dict[str, str]:
        """Facts of this data for the results table: ``input_unit`` and ``normalization``."""
        return {}

    def num_samples(self, split: Split) -> int:  # pragma: no cover - optional
        """Number of samples in ``split`` (for progress and logging)."""
        return -1


@dataclass(frozen=True)
class Task:
    """A benchmark task: named data + metric, independent of the model.

    Attributes:
        name: ``"<package>/<dataset>"``, e.g. ``"eo/spacenet-buildings"``.
        kind: what is predicted (``cls``, ``multilabel``, ``seg``, ``regression`` (per pixel),
            ``instance_seg``, ``det``, ``obb``, ``pc_seg``, ``geoparse``, ``ner``); models declare
            the kinds they support.
        datamodule: factory ``(DataContext) -> DataModule``.
        metrics: factory ``() -> Metric`` computing every reported metric for this task.
        metric: the primary metric key (reported as ``val/<metric>`` and ``test/<metric>``).
        direction: ``maximize`` or ``minimize`` for the primary metric.
        num_classes, class_names: label space.
        capabilities: GEO-Bench capability tags (e.g. ``"rgb"``, ``"multispectral"``, ``"detection"``).
        modality: ``eo``, ``det``, ``pc`` or ``nlp``.
        dataset: the dataset column of the results table (defaults to the part after the ``/``).
        visualize: optional ``(batch, prediction) -> matplotlib Figure`` for a sample prediction plot.
    """

    name: str
    kind: TaskKind
    datamodule: Callable[[DataContext], DataModule]
    metrics: Callable[[], Metric]
    metric: str
    direction: Literal["maximize", "minimize"] = "maximize"
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    modality: str = ""
    description: str = ""
    dataset: str = ""
    needs_data_root: bool = False
    visualize: Callable[[dict[str, Any], Any], Any] | None = None

    @property
    def dataset_name(self) -> str:
        return self.dataset or self.name.split("/", 1)[-1]

    @property
    def package(self) -> str:
        return self.modality or self.name.split("/", 1)[0]
