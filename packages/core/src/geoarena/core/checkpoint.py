"""Resumable cells: a checkpoint after every epoch in the run's artifact store, and the lookup
that re-opens an interrupted cell's run instead of starting a new one.

The runner opens a :func:`checkpointing` scope around ``adapter.fit``; ``TorchFitLoop`` finds it
with :func:`current_store`, saves ``checkpoints/last.pt`` (model, optimizer, scheduler, RNG
states, epoch, early-stopping state, best weights) through ``Tracker.log_artifact`` and tags the
run ``checkpoint_epoch``. A cell killed with ``kill -9`` (or requeued by Slurm) leaves its run
RUNNING; the next ``run`` of the same config hash finds it with :func:`resumable_run`, re-opens
it and the loop continues at the next epoch. Nothing here depends on the world size.
"""

from __future__ import annotations

import contextvars
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoarena.core.tracking import Tracker

if TYPE_CHECKING:
    from geoarena.core.config import RunConfig

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILE = "last.pt"
#: run tag naming the last epoch (0-based) whose checkpoint is stored
EPOCH_TAG = "checkpoint_epoch"
UNFINISHED = ("RUNNING", "FAILED", "KILLED")


@dataclass(frozen=True)
class CheckpointStore:
    """Checkpoints of one run in its tracker's artifact store."""

    tracker: Tracker
    run_id: str

    @property
    def artifact_path(self) -> str:
        return f"{CHECKPOINT_DIR}/{CHECKPOINT_FILE}"

    def save(self, local_file: Path, epoch: int) -> None:
        """Store ``local_file`` as the run's last checkpoint (written after ``epoch``)."""
        self.tracker.log_artifact(self.run_id, local_file, CHECKPOINT_DIR)
        self.tracker.set_tags(self.run_id, {EPOCH_TAG: str(epoch)})
        self.tracker.flush(self.run_id)

    def discard(self) -> None:
        """Remove the run's checkpoints once the cell has finished: they only serve resume (a
        finished run is never re-opened) and hold model + optimizer state — up to ~290 MB a cell
        for an R-CNN, 22 GB over the 190 cells of a ``--quick`` GEO-Bench-2 run."""
        self.tracker.delete_artifacts(self.run_id, CHECKPOINT_DIR)

    def fetch(self, dst_dir: Path) -> Path | None:
        """The run's last checkpoint copied into ``dst_dir``, or ``None`` if it has none."""
        return self.tracker.download_artifact(self.run_id, self.artifact_path, dst_dir)


_STORE: contextvars.ContextVar[CheckpointStore | None] = contextvars.ContextVar(
    "geoarena_checkpoint_store", default=None
)


@contextmanager
def checkpointing(tracker: Tracker, run_id: str) -> Iterator[CheckpointStore]:
    """Make ``run_id``'s artifact store the checkpoint store of the fit inside the block."""
    store = CheckpointStore(tracker, run_id)
    token = _STORE.set(store)
    try:
        yield store
    finally:
        _STORE.reset(token)


def current_store() -> CheckpointStore | None:
    """The store of the enclosing :func:`checkpointing` block (``None``: no checkpoints)."""
    return _STORE.get()


def resumable_run(tracker: Tracker, cfg: RunConfig) -> str | None:
    """The id of the latest unfinished run of ``cfg`` (same config hash and suite) that stored a
    checkpoint, else ``None``. Finished and pruned runs are never re-opened."""
    if cfg.train.checkpoint_every <= 0:
        return None
    runs = [
        r
        for r in tracker.find_runs({"config_hash": cfg.hash()})
        if r.get("status") in UNFINISHED
        and r["tags"].get(EPOCH_TAG)
        and r["tags"].get("suite", "") == cfg.suite
        and r["tags"].get("suite_parent") != "true"
        and r["tags"].get("state") != "PRUNED"  # Optuna stopped it on purpose
    ]
    if not runs:
        return None
    return max(runs, key=lambda r: r.get("start_time") or 0)["run_id"]


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch (CPU and CUDA) RNG states as tensors and plain values, so that a
    checkpoint loads with ``weights_only=True``."""
    import numpy as np
    import torch

    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, py_state, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "python": {"version": version, "state": list(py_state), "gauss": py_gauss},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    import numpy as np
    import torch

    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        # one state per device of the machine that saved it: a resume on a machine with fewer
        # GPUs restores the ones it has (``set_rng_state_all`` fails on a missing device)
        for i, s in enumerate(list(state["cuda"])[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(s.cpu(), i)
