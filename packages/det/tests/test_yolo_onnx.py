"""ONNX export of YOLO cells (ultralytics' exporter, offline) and the onnxruntime parity check,
on tiny random yolov8n detectors — axis-aligned and oriented boxes — built from their yaml."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.det.onnx_export import export_yolo_onnx, yolo_onnx_parity

SIZE = 64


def tiny_yolo(yaml: str, folder):
    """A random yolov8n whose head is perturbed so that anchors score and place boxes apart
    (an untrained head ties them, see the module docstring); saved as ``best.pt``."""
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO(yaml)
    head = model.model.model[-1]
    with torch.no_grad():
        for p in [*head.cv2.parameters(), *head.cv3.parameters()]:
            p.add_(torch.randn_like(p))
    model.save(str(folder / "best.pt"))
    return folder / "best.pt"


@pytest.mark.parametrize(
    "yaml,task,rows", [("yolov8n.yaml", "detect", 84), ("yolov8n-obb.yaml", "obb", 85)]
)
def test_onnx_export_matches_torch_in_onnxruntime(tmp_path, yaml, task, rows):
    import onnxruntime as ort
    from ultralytics import YOLO

    weights = tiny_yolo(yaml, tmp_path)
    path = export_yolo_onnx(weights, SIZE)
    assert path == tmp_path / "best.onnx"
    # ultralytics' metadata travels in the file: it loads back as a YOLO model of the same task
    assert YOLO(str(path), task=task).task == task
    image = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    parity = yolo_onnx_parity(weights, path, image)
    # raw head: 4 box coordinates (+ angle for obb) and 80 class scores per anchor, 8x8+4x4+2x2 anchors
    assert parity.raw_shape == (1, rows, 84)
    assert parity.max_abs_diff < 1e-2  # px and probabilities; float32 reordering only
    assert parity.n_torch == parity.n_onnx and parity.n_compared >= 5
    assert parity.matched == 1.0
    assert parity.box_max_abs_diff_px < 0.01 and parity.score_max_abs_diff < 1e-4
    card = parity.card()
    assert card["onnx_matched"] == 1.0 and card["onnx_raw_shape"] == [1, rows, 84]
    # dynamic batch axis: two images in one onnxruntime call
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.zeros((2, 3, SIZE, SIZE), np.float32)
    assert sess.run(None, {sess.get_inputs()[0].name: x})[0].shape == (2, rows, 84)
