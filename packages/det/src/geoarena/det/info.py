"""``DetectionInfo``: what a detector needs to know about its chips (``DataModule.info``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

#: detection chips are 8-bit RGB (a panchromatic source is repeated into the three channels)
RGB = ("red", "green", "blue")


@dataclass(frozen=True)
class DetectionInfo:
    """Facts of one detection dataset.

    Attributes:
        class_names: label space, in label-id order.
        box_type: ``hbb`` (axis-aligned) or ``obb`` (oriented boxes).
        band_names: what each of the three chip channels holds (``("pan",) * 3`` for a
            panchromatic source); the channel count derives from it.
        input_unit: unit of the chip pixels.
        normalization: how the loader normalises (detectors normalise themselves: none).
        imgsz: recommended training image size in pixels.
        gsd: ground sampling distance in metres per pixel, where known.
        source: where the data came from.
        split: how the splits were made.
        synthetic: the objects are painted, not observed (a pipeline check, not a benchmark).
    """

    class_names: tuple[str, ...]
    box_type: Literal["hbb", "obb"] = "hbb"
    band_names: tuple[str, ...] = RGB
    input_unit: str = "uint8"
    normalization: str = ""
    imgsz: int = 640
    gsd: float | None = None
    source: str = ""
    split: str = ""
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.box_type not in ("hbb", "obb"):
            raise ValueError(f"DetectionInfo: box_type must be hbb or obb, not {self.box_type!r}")
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))
        object.__setattr__(self, "band_names", tuple(str(b) for b in self.band_names))

    @property
    def in_chans(self) -> int:
        """Channels per chip (the number of band names)."""
        return len(self.band_names)

    def describe(self) -> dict[str, str]:
        """``input_unit`` and ``normalization`` for the results table."""
        return {"input_unit": self.input_unit, "normalization": self.normalization}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples as lists), for cards and logs."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
