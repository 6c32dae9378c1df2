"""Loading local checkpoints safely (``weights_only=True``, safetensors or ONNX initializers);
never a download."""

from __future__ import annotations

from pathlib import Path

import torch

from geoarena.core.errors import ConfigError, DataError


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a local ``.safetensors`` / ``.pt`` / ``.pth`` / ``.bin`` / ``.onnx`` checkpoint.

    An ONNX model's weights are its graph initializers, read by name: a PyTorch export keeps the
    module's parameter names (``model.encoder._conv_stem.weight``) unless it folded batch norms
    into convolutions, in which case the names are ``onnx::…`` and no encoder key will match
    (the caller reports the missing keys). Nothing of the graph is run.

    Nested ``{"state_dict": …}`` / ``{"model": …}`` wrappers (Lightning, MAE repos) are
    unwrapped. Raises ``ConfigError`` when the file does not exist and ``DataError`` when it
    cannot be read as a checkpoint.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(
            f"pretrained weights file {str(p)!r} not found: weights are never downloaded; put the "
            "checkpoint there (or pass model_kwargs.weights=<local path>)"
        )
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(p))
        elif p.suffix == ".onnx":
            state = _onnx_initializers(p)
        else:
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt/unsupported file: say which and why
        raise DataError(f"cannot read checkpoint: {type(exc).__name__}: {exc}", p) from exc
    for wrapper in ("state_dict", "model", "module"):
        if isinstance(state, dict) and wrapper in state and isinstance(state[wrapper], dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise DataError("checkpoint is not a state dict of tensors", p)
    return dict(state)


def _onnx_initializers(path: Path) -> dict[str, torch.Tensor]:
    """The initializers of an ONNX model as tensors, by name (external data files beside it are
    read by onnx itself)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    # copy: numpy_helper may return read-only views of the protobuf's buffer
    return {
        init.name: torch.from_numpy(numpy_helper.to_array(init).copy())
        for init in model.graph.initializer
    }
