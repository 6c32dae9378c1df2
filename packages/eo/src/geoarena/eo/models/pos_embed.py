"""Fixed sine-cosine embeddings: 1-D, 2-D and 3-D (time, height, width) position grids, and
scalar metadata (year, day of year, latitude, longitude).

The 3-D layout follows the MAE / Prithvi-EO-2.0 convention: the channel axis is split 6/16 for
width, 6/16 for height and 4/16 for time, concatenated in that order, so that fixed position
buffers computed here equal those stored in published checkpoints.
"""

from __future__ import annotations

import torch


def on_device_of(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``t`` on ``like``'s device, moved only when it is elsewhere: a trace records no device
    constant for a tensor already in place (a module's buffer), so the traced model follows
    the device it is served on."""
    return t if t.device == like.device else t.to(like.device)


def sincos_1d(dim: int, pos: torch.Tensor) -> torch.Tensor:
    """``(M,) → (M, dim)``: ``[sin(pos·ω), cos(pos·ω)]`` with ``ω_i = 10000^(-2i/dim)``."""
    if dim % 2:
        raise ValueError(f"sin-cos embedding dimension must be even, got {dim}")
    pos = pos.reshape(-1).to(torch.float64 if pos.dtype == torch.float64 else torch.float32)
    omega = _indices(dim // 2, pos) / (dim / 2.0)
    omega = 1.0 / 10000**omega
    out = pos[:, None] * omega[None]
    return torch.cat([out.sin(), out.cos()], dim=1)


def _indices(n: int, like: torch.Tensor | None) -> torch.Tensor:
    """``0, 1, …, n-1`` in ``like``'s dtype on ``like``'s device (float64 on the host without
    one). Built from ``like`` rather than by ``torch.arange(device=…)``: a TorchScript trace
    records a tensor made from scratch with the tracing machine's device as a constant, so a
    model traced on the CPU would mix CPU and GPU tensors when served on a GPU."""
    if like is None:
        return torch.arange(n, dtype=torch.float64)
    return like.new_ones(n).cumsum(0) - 1


def sincos_2d(dim: int, grid_h: int, grid_w: int, like: torch.Tensor | None = None) -> torch.Tensor:
    """``(grid_h·grid_w, dim)`` 2-D embedding (MAE layout: half for w, half for h), on
    ``like``'s device when given (see :func:`_indices`)."""
    if dim % 4:
        raise ValueError(f"2-D sin-cos embedding needs dim divisible by 4, got {dim}")
    anchor = None if like is None else like.new_zeros((), dtype=torch.float64)
    hh, ww = torch.meshgrid(_indices(grid_h, anchor), _indices(grid_w, anchor), indexing="ij")
    return torch.cat([sincos_1d(dim // 2, ww), sincos_1d(dim // 2, hh)], dim=1).float()


def sincos_3d(
    dim: int,
    grid: tuple[int, int, int],
    cls_token: bool = False,
    like: torch.Tensor | None = None,
) -> torch.Tensor:
    """``(T·H·W [+1], dim)`` 3-D embedding for a ``(T, H, W)`` token grid, time-major order,
    on ``like``'s device when given (see :func:`_indices`)."""
    if dim % 16:
        raise ValueError(f"3-D sin-cos embedding needs dim divisible by 16, got {dim}")
    t, h, w = grid
    dw = dh = dim // 16 * 6
    dt = dim // 16 * 4
    anchor = None if like is None else like.new_zeros((), dtype=torch.float64)
    tt, hh, ww = torch.meshgrid(
        _indices(t, anchor), _indices(h, anchor), _indices(w, anchor), indexing="ij"
    )
    emb = torch.cat([sincos_1d(dw, ww), sincos_1d(dh, hh), sincos_1d(dt, tt)], dim=1).float()
    if cls_token:
        emb = torch.cat([emb.new_zeros(1, dim), emb], dim=0)
    return emb


class TemporalEncoding(torch.nn.Module):
    """(year, day-of-year) per frame → ``(B, T, dim)``: half the channels encode the year, half
    the day, each with a 1-D sin-cos; multiplied by ``scale`` (a learned weight in the TL models,
    a fixed 1 otherwise)."""

    def __init__(self, dim: int, learn_scale: bool = False):
        super().__init__()
        self.year_dim = dim // 2
        self.day_dim = dim - self.year_dim
        # a learned scale gets no gradient from a batch without this metadata (DDP must know)
        self.conditional_parameters = learn_scale
        if learn_scale:
            self.scale = torch.nn.Parameter(torch.full((1,), 0.1))
        else:
            self.register_buffer("scale", torch.ones(1))

    def forward(self, coords: torch.Tensor, tokens_per_frame: int | None = None) -> torch.Tensor:
        b, t = coords.shape[:2]
        year = sincos_1d(self.year_dim, coords[..., 0].float()).reshape(b, t, -1)
        day = sincos_1d(self.day_dim, coords[..., 1].float()).reshape(b, t, -1)
        emb = self.scale * torch.cat([year, day], dim=-1)
        return emb.repeat_interleave(tokens_per_frame, dim=1) if tokens_per_frame else emb


class LocationEncoding(torch.nn.Module):
    """(lat, lon) per sample → ``(B, 1, dim)`` sin-cos embedding times ``scale``."""

    def __init__(self, dim: int, learn_scale: bool = False):
        super().__init__()
        self.lat_dim = dim // 2
        self.lon_dim = dim - self.lat_dim
        # a learned scale gets no gradient from a batch without this metadata (DDP must know)
        self.conditional_parameters = learn_scale
        if learn_scale:
            self.scale = torch.nn.Parameter(torch.full((1,), 0.1))
        else:
            self.register_buffer("scale", torch.ones(1))

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        b = coords.shape[0]
        lat = sincos_1d(self.lat_dim, coords[:, 0].float()).reshape(b, 1, -1)
        lon = sincos_1d(self.lon_dim, coords[:, 1].float()).reshape(b, 1, -1)
        return self.scale * torch.cat([lat, lon], dim=-1)
