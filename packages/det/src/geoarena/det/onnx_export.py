"""ONNX export of a trained YOLO cell and an onnxruntime parity check against the torch model.

The file is ultralytics' own export (``YOLO.export(format="onnx")``: class names, stride and
image size in its metadata, so ``YOLO("best.onnx")`` and other ONNX consumers load it as they
would any ultralytics export), with a dynamic batch axis, no onnxslim pass (not shipped; export
must never install packages) and opset 17, as the EO export.

Parity (``yolo_onnx_parity``), on the model's input example:

- raw head output: the fused torch network and the ONNX file in onnxruntime's CPU provider on the
  same preprocessed tensor; largest absolute difference (box pixels and class scores alike);
- detections: ultralytics' predictor on the ``.pt`` and on the ``.onnx`` (onnxruntime underneath,
  same pre- and post-processing); each torch detection is matched to the onnxruntime detection of
  its class within 0.5 px with the nearest score; reported: the matched share of the torch
  detections that stand clear of the confidence threshold, and the largest box (px) and score
  differences of the matches.
  (An untrained head scores many anchors alike; NMS may then keep a different one of a tie on
  either side — the raw difference is the figure that holds for every model.)

The figures go into the ModelCard (``onnx_*``) and so into the run's tags.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: detections scored below ``CLEAR × conf`` may fall either side of the threshold by float noise
CLEAR = 2.0
#: a torch detection is reproduced when a same-class ONNX box is this close (px) and scored so
BOX_TOL_PX, SCORE_TOL = 0.5, 1e-3


@dataclass
class YoloParity:
    """Torch vs onnxruntime on one input (see module docstring)."""

    max_abs_diff: float
    raw_shape: tuple[int, ...]
    n_torch: int
    n_onnx: int
    #: torch detections clear of the threshold, and the share of them onnxruntime reproduces
    #: (``None`` when there is none to compare)
    n_compared: int
    matched: float | None
    box_max_abs_diff_px: float
    score_max_abs_diff: float

    def card(self) -> dict[str, Any]:
        """ModelCard fields (``onnx_`` prefix)."""
        return {
            f"onnx_{k}": (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()
        }


def export_yolo_onnx(weights: str | Path, imgsz: int, opset: int = 17) -> Path:
    """``weights`` (``best.pt``) → ``best.onnx`` beside it, through ultralytics' exporter."""
    from geoarena.det.safe_load import load_yolo

    yolo = load_yolo(weights)
    out = yolo.export(
        format="onnx",
        imgsz=int(imgsz),
        dynamic=True,
        simplify=False,
        opset=opset,
        nms=False,
        device="cpu",
        verbose=False,
    )
    import onnx

    onnx.checker.check_model(str(out))
    return Path(out)


def _preprocess(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 → ``(1, 3, H, W)`` float in [0, 1] (H, W multiples of 32)."""
    return np.ascontiguousarray(image.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def _detections(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes as flat corner/xyxy rows, scores, classes) of one ultralytics result."""
    part = result.obb if getattr(result, "obb", None) is not None else result.boxes
    boxes = part.xyxyxyxy if getattr(result, "obb", None) is not None else part.xyxy
    flat = boxes.cpu().numpy().reshape(len(part), -1)
    return flat, part.conf.cpu().numpy(), part.cls.cpu().numpy().astype(int)


def yolo_onnx_parity(
    weights: str | Path, onnx_path: str | Path, image: np.ndarray, conf: float = 0.001
) -> YoloParity:
    """Compare the ``.pt`` and its ONNX export on ``image`` (``(H, W, 3)`` uint8)."""
    import onnxruntime as ort
    import torch
    from ultralytics import YOLO

    from geoarena.det.safe_load import load_yolo

    yolo = load_yolo(weights)
    imgsz = int(image.shape[0])
    x = _preprocess(image)
    # the exporter fuses conv+bn: compare with the same arithmetic
    net = copy.deepcopy(yolo.model).float().fuse().eval()
    with torch.no_grad():
        ref = net(torch.from_numpy(x))
    ref = (ref[0] if isinstance(ref, (tuple, list)) else ref).numpy()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    if got.shape != ref.shape:
        raise ValueError(f"ONNX output shape {got.shape} differs from torch's {ref.shape}")
    raw = float(np.abs(ref - got).max())

    kw = dict(imgsz=imgsz, conf=conf, device="cpu", verbose=False)
    tb, ts, tc = _detections(yolo.predict(image, **kw)[0])
    ob, os_, oc = _detections(YOLO(str(onnx_path), task=yolo.task).predict(image, **kw)[0])
    clear = ts >= CLEAR * conf
    box_d, score_d, hits = 0.0, 0.0, 0
    for b, s, c in zip(tb[clear], ts[clear], tc[clear]):
        same = np.flatnonzero(oc == c)
        if not len(same):
            continue
        d = np.abs(ob[same] - b).max(1)
        # boxes clipped to the image can coincide: among the close ones, the nearest score
        close = same[d <= BOX_TOL_PX]
        if not len(close):
            continue
        j = close[int(np.abs(os_[close] - s).argmin())]
        if abs(os_[j] - s) <= SCORE_TOL:
            hits += 1
            box_d = max(box_d, float(np.abs(ob[j] - b).max()))
            score_d = max(score_d, float(abs(os_[j] - s)))
    n_clear = int(clear.sum())
    return YoloParity(
        max_abs_diff=raw,
        raw_shape=tuple(int(v) for v in got.shape),
        n_torch=len(ts),
        n_onnx=len(os_),
        n_compared=n_clear,
        matched=hits / n_clear if n_clear else None,
        box_max_abs_diff_px=box_d,
        score_max_abs_diff=score_d,
    )
