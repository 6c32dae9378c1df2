"""Small building blocks shared by the point networks."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn


class SharedMLP(nn.Module):
    """Linear + BatchNorm + LeakyReLU over the last dimension of any ``(..., C)`` tensor."""

    def __init__(self, c_in: int, c_out: int, act: bool = True):
        super().__init__()
        self.fc = nn.Linear(c_in, c_out, bias=False)
        self.bn = nn.BatchNorm1d(c_out)
        self.act = nn.LeakyReLU(0.2) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        y = self.bn(self.fc(x.reshape(-1, shape[-1])))
        return self.act(y).reshape(*shape[:-1], -1)


def mlp(*dims: int) -> nn.Sequential:
    return nn.Sequential(*(SharedMLP(a, b) for a, b in pairwise(dims)))


class SegHead(nn.Module):
    """Per-point classifier: two shared MLPs, dropout, a linear layer."""

    def __init__(self, c_in: int, num_classes: int, dropout: float = 0.3):
        super().__init__()
        self.body = mlp(c_in, 64, 32)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(self.body(x)))


def restore_order(logits: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Logits (B, N, C) computed in pyramid order → (B, C, N) in the crop's original order."""
    out = torch.empty_like(logits)
    out.scatter_(1, order.unsqueeze(-1).expand_as(logits), logits)
    return out.transpose(1, 2)
