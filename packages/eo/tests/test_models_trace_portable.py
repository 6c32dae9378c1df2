"""Served TorchScript follows the device it runs on.

``export_eo_model`` traces the trained network on the CPU. A trace records any tensor that
``forward`` makes from scratch (``torch.arange(device=…)``, ``torch.full``, ``t.to(x.device)``)
with the tracing machine's device as a constant, so such a model traced here and served with
``--device cuda`` would mix host and GPU tensors. No GPU is needed to see it: the constants are
in the traced graph."""

from __future__ import annotations

import pytest
import torch

from geoarena.core.config import RunConfig
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.registry import MODELS
from geoarena.eo.models.onnx_export import _ImageOnly
from geoarena.eo.models.pos_embed import sincos_1d, sincos_2d, sincos_3d
from geoarena.eo.models.testing import TinyEOData, tiny_task

BANDS = ("B02", "B03", "B04", "B08")


def host_device_constants(traced: torch.jit.ScriptModule) -> list[str]:
    """The source lines of the traced graph's device constants."""
    return [
        str(n).split("#")[-1].strip()
        for n in traced.inlined_graph.nodes()
        if n.kind() == "prim::Constant" and str(n.output().type()) == "Device"
    ]


class _Tables(torch.nn.Module):
    def forward(self, x):
        return (
            sincos_1d(8, x[0, :3]),
            sincos_2d(16, 3, 4, like=x),
            sincos_3d(32, (2, 3, 4), cls_token=True, like=x),
        )


def test_position_tables_follow_the_input_in_a_trace():
    x = torch.rand(2, 5)
    traced = torch.jit.trace(_Tables(), x, check_trace=False)
    assert host_device_constants(traced) == []
    # the same numbers as the tables built on the host (what published checkpoints store)
    one, two, three = traced(x)
    assert torch.equal(one, sincos_1d(8, x[0, :3]))
    assert torch.equal(two, sincos_2d(16, 3, 4)) and two.dtype == torch.float32
    assert torch.equal(three, sincos_3d(32, (2, 3, 4), cls_token=True))
    assert three.shape == (1 + 2 * 3 * 4, 32) and torch.equal(three[0], torch.zeros(32))


@pytest.mark.parametrize("name", ["eo/wavelength-vit", "eo/satmae-small", "eo/prithvi-tiny"])
def test_token_encoders_trace_without_host_constants(name):
    torch.manual_seed(0)
    adapter = MODELS.get(name)()
    finetune = next(p for p in STANDARD_PROTOCOLS if p.name == "finetune")
    adapter.build(
        tiny_task("seg", BANDS, 32), finetune, RunConfig(device="cpu"), TinyEOData("seg", BANDS, 32)
    )
    net = _ImageOnly(adapter.model.net.eval())
    x = torch.randn(2, len(BANDS), 32, 32)
    with torch.no_grad():
        traced = torch.jit.trace(net, x, check_trace=False)
        assert host_device_constants(traced) == []
        torch.testing.assert_close(traced(x), net(x), rtol=0, atol=1e-6)
