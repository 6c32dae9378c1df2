"""A PointNet++-style network (Qi et al., NeurIPS 2017), single-scale grouping.

Farthest-point sampling, k-nearest-neighbour grouping (KD-tree instead of a ball query, so
every group is full), a shared MLP on ``[relative position, features]`` max-pooled per group,
and feature propagation by inverse-distance interpolation from the 3 nearest coarser points.
"""

from __future__ import annotations

import torch
from torch import nn

from geoarena.pc.models.layers import SegHead, mlp, restore_order
from geoarena.pc.models.pyramid import PyramidSpec, gather


class SetAbstraction(nn.Module):
    def __init__(self, c_in: int, c_out: int, radius_scale: float):
        super().__init__()
        self.mlp = mlp(c_in + 3, c_out // 2, c_out)
        self.scale = radius_scale

    def forward(self, x: torch.Tensor, xyz: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
        m = group.shape[1]
        rel = (gather(xyz, group) - xyz[:, :m].unsqueeze(2)) / self.scale
        return self.mlp(torch.cat([rel, gather(x, group)], dim=-1)).max(dim=2).values


class FeaturePropagation(nn.Module):
    def __init__(self, c_coarse: int, c_skip: int, c_out: int):
        super().__init__()
        self.mlp = mlp(c_coarse + c_skip, c_out, c_out)

    def forward(
        self, coarse: torch.Tensor, skip: torch.Tensor, up_idx: torch.Tensor, up_w: torch.Tensor
    ) -> torch.Tensor:
        interp = (gather(coarse, up_idx) * up_w.unsqueeze(-1)).sum(dim=2)
        return self.mlp(torch.cat([interp, skip], dim=-1))


class PointNet2(nn.Module):
    """Same input/output contract as ``RandLANet``, with farthest-point sampling."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        widths: tuple[int, ...] = (32, 64, 128, 256),
        k: int = 16,
        ratio: int = 4,
        scale_m: float = 2.0,
    ):
        super().__init__()
        self.spec = PyramidSpec(ratios=(ratio,) * len(widths), k=k, up_k=3, sampling="fps")
        self.sa = nn.ModuleList()
        c = in_features
        chans = [c]
        for i, w in enumerate(widths):
            self.sa.append(SetAbstraction(c, w, scale_m * 2**i))
            c = w
            chans.append(c)
        self.fp = nn.ModuleList()
        for i in reversed(range(len(widths))):
            out = max(chans[i], 64)
            self.fp.append(FeaturePropagation(c, chans[i], out))
            c = out
        self.head = SegHead(c, num_classes)

    def forward(self, inputs: dict) -> torch.Tensor:
        pyr = inputs["pyramid"]
        order = pyr["order"]
        xyz = torch.gather(inputs["xyz"], 1, order.unsqueeze(-1).expand(-1, -1, 3))
        x = torch.gather(
            inputs["features"], 1, order.unsqueeze(-1).expand(-1, -1, inputs["features"].shape[-1])
        )
        feats = [x]
        for i, sa in enumerate(self.sa):
            n_next = pyr["sizes"][i + 1]
            x = sa(x, xyz, pyr["neigh"][i][:, :n_next])
            feats.append(x)
        for j, fp in enumerate(self.fp):
            i = len(self.sa) - 1 - j
            x = fp(x, feats[i], pyr["up_idx"][i], pyr["up_w"][i])
        return restore_order(self.head(x), order)
