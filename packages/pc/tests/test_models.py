"""Contract of the point networks: shapes, gradients, determinism, vote coverage."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from geoarena.pc.models.pointnet2 import PointNet2
from geoarena.pc.models.pyramid import PyramidSpec, build_pyramid, farthest_point_order, level_sizes
from geoarena.pc.models.randla import RandLANet


def _inputs(net, b=2, n=128, f=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    pts = torch.rand(b, n, 3, generator=g) * 10
    return {
        "xyz": pts - pts.mean(1, keepdim=True),
        "features": torch.randn(b, n, f, generator=g),
        "pyramid": build_pyramid(pts, net.spec),
    }


@pytest.mark.parametrize("cls", [RandLANet, PointNet2])
def test_forward_backward_shapes_and_grads(cls):
    torch.manual_seed(0)
    net = cls(5, 4, widths=(8, 16, 32, 32), k=8)
    out = net(_inputs(net))
    assert out.shape == (2, 4, 128)
    loss = torch.nn.functional.cross_entropy(out, torch.randint(0, 4, (2, 128)))
    loss.backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


@pytest.mark.parametrize("cls", [RandLANet, PointNet2])
def test_deterministic_given_the_seed_and_order_equivariant(cls):
    def build():
        torch.manual_seed(3)
        return cls(5, 3, widths=(8, 16, 16, 16), k=8).eval()

    a, b = build(), build()
    x = _inputs(a, seed=1)
    with torch.no_grad():
        ya, yb = a(x), b(x)
    torch.testing.assert_close(ya, yb)
    assert not torch.allclose(ya[:, :, 0], ya[:, :, 1])  # per-point outputs differ


def test_pyramid_levels_are_prefixes_with_valid_indices():
    pts = torch.rand(1, 300, 3)
    spec = PyramidSpec(ratios=(4, 4), k=8, up_k=3, sampling="fps")
    pyr = build_pyramid(pts, spec)
    assert pyr["sizes"] == level_sizes(300, (4, 4)) == [300, 75, 18]
    assert sorted(pyr["order"][0].tolist()) == list(range(300))
    for i, nb in enumerate(pyr["neigh"]):
        assert nb.shape == (1, pyr["sizes"][i], 8) and int(nb.max()) < pyr["sizes"][i]
        assert (
            pyr["up_idx"][i].shape == (1, pyr["sizes"][i], 3)
            and int(pyr["up_idx"][i].max()) < pyr["sizes"][i + 1]
        )
        torch.testing.assert_close(pyr["up_w"][i].sum(-1), torch.ones(1, pyr["sizes"][i]))


def test_farthest_point_order_spreads_samples():
    rng = np.random.default_rng(0)
    p = np.vstack([rng.normal(0, 0.01, (100, 3)), [[10, 0, 0], [0, 10, 0]]])
    order = farthest_point_order(p, 3)
    assert set(order[1:3].tolist()) == {100, 101}
    assert sorted(order.tolist()) == list(range(102))
