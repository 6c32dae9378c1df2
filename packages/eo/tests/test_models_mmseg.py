"""mmsegmentation decode heads and UNet on mmcv-lite (compiled-op stand-in): forward and
backward on tiny inputs, inside our adapter; mmengine checkpoint classes load weights-only."""

from __future__ import annotations

import pytest
import torch

from geoarena.core.config import RunConfig
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.eo.models.testing import TinyEOData, tiny_task
from geoarena.eo.models.zoo import mmseg_unet_adapter, timm_adapter

pytestmark = pytest.mark.slow  # importing mmseg alone takes ~15 s on 2 cores

FINETUNE = next(p for p in STANDARD_PROTOCOLS if p.name == "finetune")
BANDS = ("B02", "B03", "B04", "B08")


def _forward_backward(adapter):
    task = tiny_task("seg", BANDS, 32)
    data = TinyEOData("seg", BANDS, 32)
    adapter.build(task, FINETUNE, RunConfig(device="cpu"), data)
    batch = next(iter(data.loader("train", 2)))
    adapter.model.train()
    out = adapter.model(batch)
    loss = torch.nn.functional.cross_entropy(out, batch["mask"])
    loss.backward()
    grads = [p.grad for p in adapter.model.parameters() if p.requires_grad]
    return out, grads


@pytest.mark.parametrize(
    "head", ["mmseg-fcn", "mmseg-segformer", "mmseg-uper", "mmseg-deeplabv3plus"]
)
def test_mmseg_heads_on_a_timm_encoder_forward_and_backward(head):
    torch.manual_seed(0)
    out, grads = _forward_backward(timm_adapter("eo/convnext-atto", decoder=head))
    assert out.shape == (2, 2, 32, 32)
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_mmseg_unet_with_fcn_head_trains_a_step():
    torch.manual_seed(0)
    out, grads = _forward_backward(mmseg_unet_adapter(arch={"base_channels": 8, "num_stages": 3}))
    assert out.shape == (2, 2, 32, 32)
    assert sum(g.abs().sum().item() for g in grads) > 0


def test_compiled_ops_raise_a_clear_error_only_when_called():
    from geoarena.eo.models.mmseg_adapter import ensure_mmseg

    ensure_mmseg()
    import mmcv._ext as ext

    with pytest.raises(NotImplementedError, match="compiled extension"):
        ext.psamask_forward(None)


def test_mmengine_checkpoint_classes_load_with_weights_only(tmp_path):
    import numpy as np
    from mmengine.config import ConfigDict

    from geoarena.eo.models.mmseg_adapter import allow_mmengine_checkpoint_classes

    path = tmp_path / "runner.pth"
    torch.save(
        {
            "meta": {"cfg": ConfigDict(lr=0.01), "best": np.float64(0.5)},
            "state_dict": {"w": torch.ones(2)},
        },
        path,
    )
    allow_mmengine_checkpoint_classes()
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["meta"]["cfg"].lr == 0.01 and float(ckpt["meta"]["best"]) == 0.5
