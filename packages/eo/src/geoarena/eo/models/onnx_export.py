"""ONNX export of a trained EO model and an onnxruntime parity check.

Exports the task network (image tensor in, logits out) with a dynamic batch axis through
PyTorch's TorchScript-based exporter (the dynamo exporter needs onnxscript, which we do not
ship), then runs the file in onnxruntime's CPU provider and compares with PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn


class _ImageOnly(nn.Module):
    """ONNX graphs take tensors, not batch dicts: expose ``net(image)``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image, None)


@dataclass
class ParityReport:
    """Largest absolute and relative differences between PyTorch and onnxruntime outputs."""

    max_abs_diff: float
    max_rel_diff: float
    argmax_agreement: float
    shape: tuple[int, ...]


def export_onnx(net: nn.Module, example: torch.Tensor, path: str | Path, opset: int = 17) -> Path:
    """Write ``net`` (``forward(image, meta)``) as ONNX with input ``image`` and output
    ``logits``, batch axis dynamic. ``example`` fixes band count and chip size."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = _ImageOnly(net).eval()
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (example,),
            str(path),
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    import onnx

    onnx.checker.check_model(str(path))
    return path


def onnx_parity(net: nn.Module, path: str | Path, images: torch.Tensor) -> ParityReport:
    """Run ``images`` through PyTorch and through the ONNX file in onnxruntime; compare."""
    import onnxruntime as ort

    with torch.no_grad():
        ref = _ImageOnly(net).eval()(images).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"image": images.numpy().astype(np.float32)})[0]
    diff = np.abs(ref - got)
    rel = diff / np.maximum(np.abs(ref), 1e-6)
    agree = float((ref.argmax(1) == got.argmax(1)).mean())
    return ParityReport(float(diff.max()), float(rel.max()), agree, tuple(got.shape))
