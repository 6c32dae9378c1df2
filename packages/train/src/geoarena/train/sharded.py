"""What the fit loop does differently when FSDP has sharded the model.

FSDP (``train.strategy=fsdp``) wraps the adapter's model in place: its large submodules become
``FullyShardedDataParallel`` units and, between forward passes, each rank holds only its shard
of every parameter. Only the model's repeated blocks become units (``repeated_blocks``) besides
the root. The adapters evaluate, calibrate, export and serve through the model they hold
(``adapter.model``), not through Fabric's wrapper, so the loop

* validates with the whole parameters gathered and the units stepped around
  (``whole_parameters``: every rank validates on the whole split, as under DDP);
* keeps the best epoch's weights as one full state dict written by rank 0 (``save_best``);
* at the end loads the best weights on every rank and strips the FSDP units from the model
  (``restore_best``), so that the test split, calibration and export see a plain module.

Without FSDP each helper is the plain single-model operation. ``CPUFSDPStrategy`` lets the
sharded path run on CPUs with gloo (``torchrun`` on a laptop, the tests): torch's FSDP works
there once given the device, Lightning's connector only refuses to try.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.strategies import FSDPStrategy
from torch import nn
from torch.distributed.fsdp import FullyShardedDataParallel, MixedPrecision


class CPUFSDPStrategy(FSDPStrategy):
    """Lightning's FSDP strategy with the units placed on the CPU (gloo process group)."""

    def setup_module(self, module: nn.Module) -> nn.Module:
        return FullyShardedDataParallel(
            module=module,
            cpu_offload=self.cpu_offload,
            mixed_precision=self.mixed_precision_config,
            sharding_strategy=self.sharding_strategy,
            # torch needs the device named: without one it looks for an accelerator
            device_id=torch.device("cpu"),
            **self._fsdp_kwargs,
        )

    def save_checkpoint(self, path: Any, state: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        """Lightning gathers a full optimizer state "offloaded to the CPU"; torch's FSDP then
        skips its copy, and on the CPU the move is no copy either, so every state of a parameter
        (Adam's ``exp_avg`` and ``exp_avg_sq``) is a view of one reused buffer and holds the last
        one gathered (seen with torch 2.14: a resumed run diverged). Gathered here with copies;
        Lightning stores the result as it stands."""
        from torch.distributed.fsdp import FullOptimStateDictConfig, StateDictType

        root = next((fsdp_root(v) for v in state.values() if isinstance(v, nn.Module)), None)
        state = dict(state)
        for key, value in state.items():
            if root is not None and isinstance(value, torch.optim.Optimizer):
                with FullyShardedDataParallel.state_dict_type(
                    root,
                    StateDictType.FULL_STATE_DICT,
                    optim_state_dict_config=FullOptimStateDictConfig(offload_to_cpu=False),
                ):
                    state[key] = FullyShardedDataParallel.optim_state_dict(root, value)
        super().save_checkpoint(path, state, *args, **kwargs)


def fsdp_root(fmodel: nn.Module) -> FullyShardedDataParallel | None:
    """The outermost FSDP unit inside Fabric's wrapper (and ``torch.compile``'s), if any."""
    return next((m for m in fmodel.modules() if isinstance(m, FullyShardedDataParallel)), None)


def float32_units() -> MixedPrecision:
    """FSDP's casts for every ``train.precision`` (``32-true``, ``bf16-mixed``, ``16-mixed``):
    the parameters, the gradient reduction and the buffers stay float32, and under ``*-mixed``
    autocast picks each operation's precision: the arithmetic of DDP under the same precision.

    Lightning's own ``*-mixed`` choice (every unit's parameters, reductions and buffers in
    bf16/fp16) is not that: with LayerNorm weights and gradient sums in bf16 the same cell ended
    0.875 against DDP's 0.896 val accuracy on a CPU with native bf16 (equal on another CPU); it
    would halve the all-gather traffic. Its config also splits every BatchNorm off into a unit
    of its own (to keep it in float32), 20 needless units in a ResNet-18. And the root unit
    leaves the batch as the loader made it: FSDP casts every floating tensor of the root's
    input by default, a batch dict's metadata included (acquisition years, coordinates,
    wavelengths: the cast ``geoarena.train.distributed.keep_input_dtypes`` drops from Fabric's
    plugins)."""
    full = torch.float32
    return MixedPrecision(
        param_dtype=full,
        reduce_dtype=full,
        buffer_dtype=full,
        cast_root_forward_inputs=False,
        _module_classes_to_ignore=(),
    )


def autocast_on_cpu(fabric: Any, precision: str) -> None:
    """Lightning's FSDP precision plugin autocasts on CUDA only, so on CPUs (gloo, the tests) a
    ``*-mixed`` cell would compute in float32. Autocast on the CPU instead, as the CUDA path
    does on the GPU."""
    dtype = torch.bfloat16 if precision.startswith("bf16") else torch.float16
    fabric.strategy.precision.forward_context = lambda: torch.autocast("cpu", dtype=dtype)


#: a repeated block becomes an FSDP unit of its own from this many parameters (ViT-B/L/H blocks
#: hold 7–30 M); smaller blocks stay in the root unit
MIN_UNIT_PARAMS = 1_000_000


def repeated_blocks(model: nn.Module, min_params: int = MIN_UNIT_PARAMS) -> frozenset[type]:
    """The classes of the model's repeated layers: children of an ``nn.Sequential`` or
    ``nn.ModuleList`` that share their class with a sibling and hold ≥ ``min_params``.

    These, and only these, become FSDP units. A unit gathers its parameters in its own
    ``forward``; the blocks of timm and Prithvi encoders are run that way, while the encoder
    itself is entered through other methods (``forward_intermediates``) and its ``blocks``
    container is measured with ``len``, so a size-based policy, which wraps whatever subtree
    is large enough, breaks them (tested: ``len(self.blocks)`` on a unit)."""
    found: set[type] = set()
    for m in model.modules():
        if not isinstance(m, (nn.Sequential, nn.ModuleList)):
            continue
        kids = list(m.children())
        for kid in kids:
            twins = sum(type(k) is type(kid) for k in kids)
            if twins >= 2 and sum(p.numel() for p in kid.parameters()) >= min_params:
                found.add(type(kid))
    return frozenset(found)


def fsdp_units(fmodel: nn.Module) -> int:
    """How many FSDP units shard the model (0 without FSDP)."""
    return sum(isinstance(m, FullyShardedDataParallel) for m in fmodel.modules())


@contextlib.contextmanager
def whole_parameters(fmodel: nn.Module) -> Iterator[None]:
    """The adapter's model as a plain module while inside: every parameter gathered whole on
    every rank (read-only: changes are dropped) and the units inside stepped around, so that
    validation runs in float32 as under DDP. A unit's own ``forward`` would cast its gathered
    parameters to bf16/fp16 under mixed precision while the root's stay float32 (``mixed
    dtype`` in a LayerNorm or a matmul)."""
    root = fsdp_root(fmodel)
    if root is None:
        yield
        return
    with FullyShardedDataParallel.summon_full_params(root, writeback=False):
        units = _step_around_units(root.module)
        try:
            yield
        finally:
            for parent, name, unit in units:
                setattr(parent, name, unit)


def _step_around_units(module: nn.Module) -> list[tuple[nn.Module, str, nn.Module]]:
    """Put the module each FSDP unit below ``module`` wraps in its place; returns what to put
    back (parent, attribute, unit)."""
    swapped = []
    for name, child in list(module.named_children()):
        if isinstance(child, FullyShardedDataParallel):
            swapped.append((module, name, child))
            child = child.module
            setattr(module, name, child)
        swapped.extend(_step_around_units(child))
    return swapped


def save_best(fmodel: nn.Module, model: nn.Module, best_file: Path) -> None:
    """Write the model's current weights to ``best_file`` (under FSDP a collective: every rank
    calls it, rank 0 writes the gathered full state dict)."""
    root = fsdp_root(fmodel)
    if root is None:
        torch.save(model.state_dict(), best_file)
        return
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    # gathered on the host of rank 0 only: a second whole copy on each GPU may not fit
    state = get_model_state_dict(
        root, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )
    if torch.distributed.get_rank() == 0:
        torch.save(state, best_file)


def restore_best(fabric: Any, fmodel: nn.Module, model: nn.Module, best_file: Path) -> None:
    """Load the best epoch's weights into ``model``; under FSDP also make ``model`` a plain
    module again, whole on every rank (what the adapter evaluates, exports and serves)."""
    root = fsdp_root(fmodel)
    if root is None:
        if best_file.exists():
            model.load_state_dict(
                torch.load(best_file, map_location=fabric.device, weights_only=True)
            )
        return
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    # the current weights gathered whole on every rank (a collective); then rank 0's best
    # weights, tensor by tensor in the same order on every rank (same names and shapes)
    whole = get_model_state_dict(root, options=StateDictOptions(full_state_dict=True))
    whole = {k: v.detach().clone() for k, v in whole.items()}
    if fabric.broadcast(best_file.exists(), src=0):  # only rank 0 wrote it
        if fabric.is_global_zero:
            best = torch.load(best_file, map_location="cpu", weights_only=True)
            for k, v in whole.items():
                v.copy_(best[k])
        for v in whole.values():
            torch.distributed.broadcast(v, src=0)
    _step_around_units(model)  # for good: the FSDP units are not put back
    # the parameters are still views of FSDP's flat shards (another shape): swap in new ones
    # (load_state_dict would refuse the shapes even with assign=True); buffers were never sharded
    for name, param in list(model.named_parameters()):
        owner, _, leaf = name.rpartition(".")
        module = model.get_submodule(owner)
        module._parameters[leaf] = nn.Parameter(whole[name], requires_grad=param.requires_grad)
