"""Serving export of a trained YOLO detection cell, and the predictor ``geoarena.serve`` loads.

The export is the best checkpoint (``best.pt``, scanned and loaded in ultralytics' restricted
mode on load), its ONNX export with an onnxruntime parity check (``onnx_export``; figures in the
card) and a ModelCard (classes, box type, image size, 8-bit RGB input).
``DetPredictor.predict`` takes ``(B, H, W, 3)`` uint8 images and returns one row per detection;
``predict_file`` runs sliced inference over a geo-referenced image into a GeoPackage, as
``tools/detect.py`` does.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geoarena.core.errors import DataError
from geoarena.core.model import ExportedModel

if TYPE_CHECKING:
    from geoarena.det.yolo_adapter import YoloAdapter

LOADER = "geoarena.det.serving:load_det_predictor"
log = logging.getLogger(__name__)


def export_yolo(adapter: YoloAdapter, out_dir: str | Path) -> ExportedModel | None:
    """``best.pt`` (or the current weights) + card; ``None`` before training."""
    if adapter.model is None:
        return None
    out = Path(out_dir) / "best.pt"
    best = getattr(getattr(adapter.model, "trainer", None), "best", None) or (
        adapter.workdir / "train" / "weights" / "best.pt" if adapter.workdir else None
    )
    if best and Path(best).is_file():
        shutil.copyfile(best, out)
    else:
        adapter.model.save(str(out))
    size = int(adapter.imgsz)
    card = {
        **{k: v for k, v in vars(adapter.card).items() if k != "extra"},
        "modality": "det",
        "task": adapter.task.name,
        "task_kind": adapter.task.kind,
        "class_names": list(adapter.class_names),
        "box_type": "obb" if adapter.obb else "hbb",
        "imgsz": size,
        "input_unit": "uint8",
        "data_bands": ["red", "green", "blue"],
        "requirements": ["ultralytics", "torch", "rasterio", "geopandas"],
    }
    example = np.random.default_rng(0).integers(0, 256, (1, size, size, 3), dtype=np.uint8)
    files = {"weights": str(out)}
    try:
        from geoarena.det.onnx_export import export_yolo_onnx, yolo_onnx_parity

        onnx_path = export_yolo_onnx(out, size)
        card.update(yolo_onnx_parity(out, onnx_path, example[0]).card())
        files["onnx"] = str(onnx_path)
        card["requirements"].append("onnxruntime")
    except Exception as exc:  # an architecture without ONNX export still serves from best.pt
        log.warning("%s: no ONNX export (%s)", adapter.card.name, exc)
        card["onnx_error"] = f"{type(exc).__name__}: {exc}"[:500]
    return ExportedModel(LOADER, files, card, example)


class DetPredictor:
    """RGB uint8 images → detections; geo-referenced images → a detections GeoPackage."""

    def __init__(self, files: dict[str, str], card: dict[str, Any]):
        self.card = card
        self.weights = Path(files["weights"])
        self._detector = None

    def _sliced(self, **options: Any):
        from geoarena.det.slicer import SliceConfig, SlicedDetector

        return SlicedDetector(str(self.weights), SliceConfig(**options))

    def predict(self, inputs: Any):
        """``(B, H, W, 3)`` uint8 → DataFrame ``image, class_id, label, score, box`` (box:
        ``[x0, y0, x1, y1]`` or 4 corner points for oriented boxes, in pixels)."""
        import pandas as pd

        images = np.asarray(inputs)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[-1] != 3:
            raise DataError(f"expected (B, H, W, 3) uint8 RGB images, got shape {images.shape}")
        if self._detector is None:
            size = int(self.card["imgsz"])
            self._detector = self._sliced(slice_height=size, slice_width=size, imgsz=size)
        rows = []
        for i, im in enumerate(images.astype(np.uint8)):
            d = self._detector.predict_array(im)
            for box, score, lab in zip(d["boxes"], d["scores"], d["labels"]):
                name = self.card["class_names"][int(lab)]
                rows.append((i, int(lab), name, float(score), np.asarray(box).ravel().tolist()))
        return pd.DataFrame(rows, columns=["image", "class_id", "label", "score", "box"])

    def predict_file(
        self,
        input: Path,
        output: Path,
        slice: int = 512,
        overlap: float = 0.2,
        batch: int = 4,
        conf: float = 0.25,
        device: str = "cpu",
    ) -> dict[str, Any]:
        """Sliced detection over a GeoTIFF → GeoPackage layer ``detections`` in its CRS."""
        from geoarena.det.georef import write_detections_gpkg
        from geoarena.det.slicer import SliceConfig, SlicedDetector

        cfg = SliceConfig(
            slice_height=slice,
            slice_width=slice,
            overlap_height_ratio=overlap,
            overlap_width_ratio=overlap,
            batch_size=batch,
            conf=conf,
        )
        det = SlicedDetector(str(self.weights), cfg, device=device)
        out = det.predict_raster(input)
        gdf = write_detections_gpkg(
            out, input, output, self.card["class_names"], box_type=self.card["box_type"]
        )
        return {"detections": len(gdf), "crs": gdf.crs.to_string() if gdf.crs else None}


def load_det_predictor(files: dict[str, str], card: dict[str, Any]) -> DetPredictor:
    return DetPredictor(files, card)
