"""The fit loop's resumable checkpoint: model, optimizer, scheduler, RNG states, loop counters,
the best epoch's weights, the mixed-precision loss scale and the weight EMA, in one file that
rank 0 stores in the run's artifact store (``geoarena.core.checkpoint``) every
``train.checkpoint_every`` epochs. Fabric writes the model and optimizer as full state dicts
(DDP and FSDP alike), so a checkpoint resumes under any world size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def save_loop(fabric, store, tmp: Path, fmodel, fopt, sched, st, best_file: Path, ema) -> None:
    """Write the checkpoint (every rank calls it: FSDP gathers) and store it from rank 0."""
    from geoarena.core.checkpoint import CHECKPOINT_FILE, rng_state

    path = tmp / CHECKPOINT_FILE
    best: dict[str, Any] = {}
    if best_file.exists():  # on the host: a second copy on the GPU may not fit
        best = torch.load(best_file, map_location="cpu", weights_only=True)
    fabric.save(
        path,
        {
            "model": fmodel,
            "optimizer": fopt,
            "scheduler": sched.state_dict(),
            "rng": rng_state(),
            "loop": dict(vars(st)),
            "best_model": best,
            "precision": fabric.strategy.precision.state_dict(),  # fp16: the loss scale
            **({"ema": ema.state_dict()} if ema is not None else {}),
        },
    )
    if fabric.is_global_zero:
        store.save(path, st.epoch - 1)


def resume_loop(fabric, store, tmp: Path, fmodel, fopt, sched, st, best_file: Path, ema) -> None:
    """Load the store's last checkpoint (every rank reads it) into the loop's objects."""
    from geoarena.core.checkpoint import set_rng_state

    (tmp / "resume").mkdir(exist_ok=True)
    local = store.fetch(tmp / "resume")
    found = torch.tensor([0 if local is None else 1], device=fabric.device)
    if fabric.world_size > 1 and int(fabric.all_reduce(found, reduce_op="sum")) not in (
        0,
        fabric.world_size,
    ):
        raise RuntimeError("ranks disagree on the checkpoint to resume from")
    if local is None:
        return
    state = {"model": fmodel, "optimizer": fopt}
    # weights_only: the checkpoint comes from the run's artifact store (anyone's store);
    # core.checkpoint keeps it to tensors and plain values so that nothing pickled runs
    rest = fabric.load(local, state, weights_only=True)
    sched.load_state_dict(rest["scheduler"])
    for k, v in rest["loop"].items():
        setattr(st, k, v)
    if rest.get("best_model"):
        torch.save(rest["best_model"], best_file)
    if ema is not None and rest.get("ema"):
        ema.load_state_dict(rest["ema"])
    if rest.get("precision"):  # else fp16 restarts at scale 2**16, skipping steps
        fabric.strategy.precision.load_state_dict(rest["precision"])
    set_rng_state(rest["rng"])
