"""ASPRS LAS point classes and the mappings from them to a task's compact label space."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: ASPRS standard point classes (LAS 1.4 R15, table 17); 64-255 are user definable.
ASPRS_CLASSES: dict[int, str] = {
    0: "created_never_classified",
    1: "unclassified",
    2: "ground",
    3: "low_vegetation",
    4: "medium_vegetation",
    5: "high_vegetation",
    6: "building",
    7: "low_point_noise",
    8: "model_key_point",
    9: "water",
    10: "rail",
    11: "road_surface",
    12: "overlap",
    13: "wire_guard",
    14: "wire_conductor",
    15: "transmission_tower",
    16: "wire_structure_connector",
    17: "bridge_deck",
    18: "high_noise",
    19: "overhead_structure",
    20: "ignored_ground",
    21: "snow",
    22: "temporal_exclusion",
}

#: IGN LiDAR HD uses the ASPRS codes plus these user-defined ones.
IGN_LIDAR_HD_CLASSES: dict[int, str] = {
    **{k: ASPRS_CLASSES[k] for k in (1, 2, 3, 4, 5, 6, 9, 17)},
    64: "permanent_above_ground",
    65: "artefact",
    66: "virtual_point",
    67: "miscellaneous_building",
}

IGNORE = -1


@dataclass(frozen=True)
class ClassMap:
    """A mapping from source class codes (ASPRS or a dataset's own) to contiguous labels.

    Attributes:
        name: identifier, e.g. ``"asprs-ground-veg-building"``.
        class_names: the target classes, index = label.
        source: ``code -> target class name``; codes not listed map to ``IGNORE`` (-1), which the
            loss and the metrics skip.
    """

    name: str
    class_names: tuple[str, ...]
    source: Mapping[int, str]

    def __post_init__(self) -> None:
        unknown = sorted({v for v in self.source.values()} - set(self.class_names))
        if unknown:
            raise ValueError(f"class map {self.name!r} maps to unknown classes {unknown}")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def lookup_table(self, size: int = 65536) -> np.ndarray:
        """``table[code] -> label`` (int16, ``IGNORE`` for unmapped codes)."""
        table = np.full(size, IGNORE, dtype=np.int16)
        for code, cls in self.source.items():
            table[code] = self.class_names.index(cls)
        return table

    def encode(self, codes: np.ndarray) -> np.ndarray:
        """Source codes → labels in ``[0, num_classes)`` or ``IGNORE``."""
        codes = np.asarray(codes).astype(np.int64)
        size = max(256, int(codes.max(initial=0)) + 1, max(self.source, default=0) + 1)
        return self.lookup_table(size)[codes].astype(np.int64)

    def decode(self, labels: np.ndarray, codes: Mapping[str, int] | None = None) -> np.ndarray:
        """Labels → one source code per class (the lowest code mapped to it, or ``codes``)."""
        first: dict[str, int] = {}
        for code, cls in sorted(self.source.items()):
            first.setdefault(cls, code)
        first.update(codes or {})
        table = np.array([first[c] for c in self.class_names], dtype=np.uint8)
        return table[np.asarray(labels, dtype=np.int64)]


#: Nebraska tile: ground / vegetation (low, medium, high) / building; noise (7) ignored.
GROUND_VEGETATION_BUILDING = ClassMap(
    "asprs-ground-vegetation-building",
    ("ground", "vegetation", "building"),
    {2: "ground", 3: "vegetation", 4: "vegetation", 5: "vegetation", 6: "building"},
)

#: IGN LiDAR HD tile: ground / vegetation / bridge; unclassified (1) and artefacts (65) ignored.
GROUND_VEGETATION_BRIDGE = ClassMap(
    "ign-ground-vegetation-bridge",
    ("ground", "vegetation", "bridge"),
    {2: "ground", 3: "vegetation", 4: "vegetation", 5: "vegetation", 17: "bridge"},
)

#: The ASPRS classes 1-18 one to one (for general LAS training).
ASPRS_STANDARD = ClassMap(
    "asprs-standard",
    tuple(ASPRS_CLASSES[k] for k in range(1, 19)),
    {k: ASPRS_CLASSES[k] for k in range(1, 19)},
)

CLASS_MAPS: dict[str, ClassMap] = {
    m.name: m for m in (GROUND_VEGETATION_BUILDING, GROUND_VEGETATION_BRIDGE, ASPRS_STANDARD)
}
