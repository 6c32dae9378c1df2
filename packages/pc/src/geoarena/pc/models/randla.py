"""A RandLA-Net-style network (Hu et al., CVPR 2020) in plain PyTorch.

Random sampling between levels, local spatial encoding of relative positions, attentive
pooling over K-nearest neighbours (from scipy KD-trees, see ``pyramid``), dilated residual
blocks, nearest-neighbour up-sampling with skip connections.
"""

from __future__ import annotations

import torch
from torch import nn

from geoarena.pc.models.layers import SegHead, SharedMLP, mlp, restore_order
from geoarena.pc.models.pyramid import PyramidSpec, gather


class LocalSpatialEncoding(nn.Module):
    """Encodes ``[p_i, p_k, p_i - p_k, |p_i - p_k|]`` of each neighbour into ``c`` channels."""

    def __init__(self, c: int):
        super().__init__()
        self.mlp = SharedMLP(10, c)

    def forward(self, xyz: torch.Tensor, neigh: torch.Tensor) -> torch.Tensor:
        nb = gather(xyz, neigh)  # B, N, K, 3
        ctr = xyz.unsqueeze(2).expand_as(nb)
        rel = ctr - nb
        dist = rel.norm(dim=-1, keepdim=True)
        return self.mlp(torch.cat([ctr, nb, rel, dist], dim=-1))


class AttentivePooling(nn.Module):
    """Softmax attention scores per neighbour and channel, weighted sum, then an MLP."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.score = nn.Linear(c_in, c_in, bias=False)
        self.mlp = SharedMLP(c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # B, N, K, C
        w = torch.softmax(self.score(x), dim=2)
        return self.mlp((w * x).sum(dim=2))


class DilatedResidualBlock(nn.Module):
    """Two rounds of (local spatial encoding + attentive pooling) with a residual shortcut."""

    def __init__(self, c_in: int, d: int):
        super().__init__()
        self.mlp1 = SharedMLP(c_in, d // 2)
        self.lse1 = LocalSpatialEncoding(d // 2)
        self.pool1 = AttentivePooling(d, d // 2)
        self.lse2 = SharedMLP(d // 2, d // 2)
        self.pool2 = AttentivePooling(d, d)
        self.mlp2 = SharedMLP(d, 2 * d, act=False)
        self.shortcut = SharedMLP(c_in, 2 * d, act=False)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor, xyz: torch.Tensor, neigh: torch.Tensor) -> torch.Tensor:
        f = self.mlp1(x)
        pos = self.lse1(xyz, neigh)
        f = self.pool1(torch.cat([gather(f, neigh), pos], dim=-1))
        pos = self.lse2(pos)
        f = self.pool2(torch.cat([gather(f, neigh), pos], dim=-1))
        return self.act(self.mlp2(f) + self.shortcut(x))


class RandLANet(nn.Module):
    """Encoder-decoder over a ``PyramidSpec`` with random sampling.

    Input: ``{"xyz": (B, N, 3), "features": (B, N, F), "pyramid": build_pyramid(...)}``;
    output: logits ``(B, num_classes, N)`` in the input order.
    """

    spec_sampling = "random"

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        widths: tuple[int, ...] = (16, 32, 64, 128),
        k: int = 16,
        ratio: int = 4,
    ):
        super().__init__()
        self.spec = PyramidSpec(ratios=(ratio,) * len(widths), k=k, up_k=1, sampling="random")
        self.fc0 = SharedMLP(in_features + 3, 8)
        self.encoder = nn.ModuleList()
        c = 8
        skips = []
        for d in widths:
            self.encoder.append(DilatedResidualBlock(c, d))
            c = 2 * d
            skips.append(c)
        self.bottleneck = SharedMLP(c, c)
        self.decoder = nn.ModuleList()
        for s in reversed(skips):
            self.decoder.append(mlp(c + s, s // 2 if s > 32 else 32))
            c = s // 2 if s > 32 else 32
        self.head = SegHead(c, num_classes)

    def forward(self, inputs: dict) -> torch.Tensor:
        pyr = inputs["pyramid"]
        order = pyr["order"]
        xyz = torch.gather(inputs["xyz"], 1, order.unsqueeze(-1).expand(-1, -1, 3))
        feat = torch.gather(
            inputs["features"], 1, order.unsqueeze(-1).expand(-1, -1, inputs["features"].shape[-1])
        )
        x = self.fc0(torch.cat([xyz, feat], dim=-1))
        skips = []
        for i, block in enumerate(self.encoder):
            n = pyr["neigh"][i].shape[1]
            x = block(x, xyz[:, :n], pyr["neigh"][i])
            skips.append(x)
            n_next = pyr["sizes"][i + 1]
            x = (
                gather(x, pyr["neigh"][i][:, :n_next]).max(dim=2).values
            )  # random sampling + max pool
        x = self.bottleneck(x)
        for i, dec in zip(reversed(range(len(self.encoder))), self.decoder):
            up = gather(x, pyr["up_idx"][i][:, :, :1]).squeeze(2)
            x = dec(torch.cat([up, skips[i]], dim=-1))
        return restore_order(self.head(x), order)
