"""ONNX export of a fine-tuned segmentation model: onnxruntime agrees with PyTorch to 1e-4."""

from __future__ import annotations

import onnx
import torch

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.eo.models.onnx_export import export_onnx, onnx_parity
from geoarena.eo.models.testing import TinyEOData, tiny_task
from geoarena.eo.models.zoo import timm_adapter

BANDS = ("B02", "B03", "B04", "B08")


def test_finetuned_segmentation_model_exports_with_runtime_parity(tmp_path):
    torch.manual_seed(0)
    task = tiny_task("seg", BANDS, 32)
    data = TinyEOData("seg", BANDS, 32)
    adapter = timm_adapter("eo/resnet18", decoder="fpn")
    finetune = next(p for p in STANDARD_PROTOCOLS if p.name == "finetune")
    adapter.build(task, finetune, RunConfig(device="cpu"), data)
    adapter.fit(data, TrainConfig(epochs=1, batch_size=4, amp=False), lambda e, m: None)
    net = adapter.model.net.eval()
    path = export_onnx(net, torch.zeros(1, 4, 32, 32), tmp_path / "seg.onnx")
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["image"] and [o.name for o in graph.output] == [
        "logits"
    ]
    images = next(iter(data.loader("test", 3)))["image"]  # batch of 3: the batch axis is dynamic
    report = onnx_parity(net, path, images)
    assert report.shape == (3, 2, 32, 32)
    assert report.max_abs_diff <= 1e-4
    assert report.argmax_agreement == 1.0


def test_a_model_without_onnx_export_still_exports_and_names_the_reason_in_one_line(
    tmp_path, monkeypatch, caplog
):
    from geoarena.eo.models import onnx_export

    def no_onnx(*args, **kwargs):  # what torch's exporter raises: a reason, then the graph
        raise RuntimeError("Unsupported: ONNX export of operator adaptive_avg_pool2d\n%1 = ...")

    monkeypatch.setattr(onnx_export, "export_onnx", no_onnx)
    torch.manual_seed(0)
    adapter = timm_adapter("eo/resnet18")
    finetune = next(p for p in STANDARD_PROTOCOLS if p.name == "finetune")
    adapter.build(
        tiny_task("seg", BANDS, 32), finetune, RunConfig(device="cpu"), TinyEOData("seg", BANDS, 32)
    )
    exported = adapter.export(str(tmp_path))
    reason = "RuntimeError: Unsupported: ONNX export of operator adaptive_avg_pool2d"
    assert exported.card["onnx_error"] == reason
    assert "onnx" not in exported.files and exported.files  # TorchScript still serves
    assert any(reason in r.getMessage() and "%1" not in r.getMessage() for r in caplog.records)
