"""Where this process sits among the processes a launcher started (torchrun, Slurm ``srun``),
read from the environment. The harness needs it to decide who logs and who claims cells; the
data-parallel training itself is ``geoarena.train.distributed``."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class World:
    """Where this process sits: ``rank`` of ``size`` processes, ``local_size`` per node."""

    rank: int = 0
    local_rank: int = 0
    size: int = 1
    local_size: int = 1
    launcher: str = "none"  # none | torchrun | slurm

    @property
    def num_nodes(self) -> int:
        return max(1, self.size // max(1, self.local_size))

    @property
    def is_zero(self) -> bool:
        return self.rank == 0


def world_from_env(env: dict[str, str] | None = None) -> World:
    """Read the launcher's environment: torchrun first (it may run inside a Slurm allocation,
    one torchrun per node), then a multi-task ``srun``, else a world of one."""
    env = dict(os.environ if env is None else env)
    if "TORCHELASTIC_RUN_ID" in env or ("LOCAL_WORLD_SIZE" in env and "RANK" in env):
        return World(
            rank=int(env.get("RANK", 0)),
            local_rank=int(env.get("LOCAL_RANK", 0)),
            size=int(env.get("WORLD_SIZE", 1)),
            local_size=int(env.get("LOCAL_WORLD_SIZE", 1)),
            launcher="torchrun",
        )
    ntasks = int(env.get("SLURM_NTASKS", "1") or 1)
    if (
        ntasks > 1
        and "SLURM_PROCID" in env
        and env.get("SLURM_JOB_NAME") not in ("bash", "interactive")
    ):
        per_node = int(env.get("SLURM_NTASKS_PER_NODE", "0").split("(")[0] or 0)
        nnodes = int(env.get("SLURM_NNODES", "1") or 1)
        return World(
            rank=int(env["SLURM_PROCID"]),
            local_rank=int(env.get("SLURM_LOCALID", 0)),
            size=ntasks,
            local_size=per_node or max(1, ntasks // nnodes),
            launcher="slurm",
        )
    return World()
