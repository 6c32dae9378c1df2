"""Data-parallel training on Lightning Fabric: world from the launcher's environment, rank-zero
logging, cross-rank reductions.

No process management of our own: ``torchrun`` (one per node) or ``srun`` (one task per device)
starts the processes and Fabric reads their environment (``RANK``/``LOCAL_RANK``/``WORLD_SIZE``
or ``SLURM_PROCID``/``SLURM_LOCALID``/``SLURM_NTASKS``). A plain ``python`` process is a world of
one (``geoarena.core.world``). Lightning is imported inside functions so that importing this
module stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geoarena.core.errors import ConfigError
from geoarena.core.tracking import Tracker
from geoarena.core.world import World as World  # re-exported: the launcher world
from geoarena.core.world import world_from_env as world_from_env

if TYPE_CHECKING:
    from geoarena.core.config import TrainConfig


def resolve_precision(train: TrainConfig, device: str) -> str:
    """``auto`` keeps the old ``amp`` switch: bf16 autocast on a GPU that has it, fp16 with a
    gradient scaler on one that has not, full precision on CPU."""
    if train.precision != "auto":
        return train.precision
    if train.amp and device.startswith("cuda"):
        import torch

        # natively only (Ampere on): torch otherwise reports the slow emulated bf16 of a T4/V100
        native = torch.cuda.is_bf16_supported(including_emulation=False)
        return "bf16-mixed" if native else "16-mixed"
    return "32-true"


def conditional_parameters(model: Any) -> bool:
    """Whether some of ``model``'s parameters take part only when a batch carries what they
    encode (the learned scale of a date or location encoding, unused on a task without dates):
    modules say so with a true ``conditional_parameters`` attribute. DDP must then look for
    unused parameters, or it stops at the second step waiting for their gradients."""
    return any(getattr(m, "conditional_parameters", False) for m in model.modules())


def make_fabric(
    train: TrainConfig, device: str, find_unused: bool = False, fsdp_blocks: frozenset = frozenset()
) -> Any:
    """A launched ``lightning.fabric.Fabric`` for this process and ``train``'s strategy/precision.

    ``device`` is ``cpu`` or ``cuda`` (``cuda:N`` pins a single device outside a launcher). In a
    world of one, ``strategy`` ``auto`` is a single device; under a launcher it is DDP (gloo on
    CPU, NCCL on CUDA), which looks for parameters without a gradient in a step when
    ``find_unused`` (see :func:`conditional_parameters`). ``fsdp`` shards parameters, gradients
    and optimizer state (large ViTs), one FSDP unit per instance of the ``fsdp_blocks`` classes
    (``geoarena.train.sharded.repeated_blocks``) inside the model's root unit.
    """
    from lightning.fabric import Fabric
    from lightning.fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    world = world_from_env()
    accelerator = "cuda" if device.startswith("cuda") else "cpu"
    strategy = train.strategy
    plugins: list[Any] = []
    if world.size == 1:
        if strategy == "fsdp" and accelerator != "cuda":
            raise ConfigError(
                "train.strategy=fsdp in one process needs a CUDA device (on CPUs it runs "
                "under torchrun/srun, gloo)"
            )
        devices: Any = [int(device.split(":")[1])] if ":" in device else 1
        if strategy == "ddp":
            strategy = "auto"  # DDP over one process is a plain single-device run
    else:
        devices = world.local_size
        strategy = "ddp" if strategy == "auto" else strategy
        if strategy == "ddp" and find_unused:
            from lightning.fabric.strategies import DDPStrategy

            strategy = DDPStrategy(find_unused_parameters=True)
        plugins.append(
            TorchElasticEnvironment() if world.launcher == "torchrun" else SLURMEnvironment()
        )
    precision = resolve_precision(train, device)
    if strategy == "fsdp":
        strategy = _fsdp_strategy(accelerator, fsdp_blocks)
    fabric = Fabric(
        accelerator=accelerator,
        devices=devices,
        num_nodes=world.num_nodes,
        strategy=strategy,
        precision=precision,  # type: ignore[arg-type]
        plugins=plugins or None,
    )
    fabric.launch()  # under a launcher: joins the process group (no process spawning here)
    if str(fabric.strategy.precision.precision).endswith("-mixed"):
        keep_input_dtypes(fabric)
        if train.strategy == "fsdp" and accelerator == "cpu":
            from geoarena.train.sharded import autocast_on_cpu

            autocast_on_cpu(fabric, precision)
    return fabric


def keep_input_dtypes(fabric: Any) -> None:
    """Hand the model its input as the loader made it under mixed precision.

    Fabric's mixed-precision plugins cast every floating tensor of the forward's input to
    bf16/fp16 (``convert_input``), a batch dict's metadata included: acquisition years become
    2016 instead of 2020 in bf16, coordinates, wavelengths and box corners lose digits, and
    validation (which calls the model directly) sees other values than training. Autocast
    already runs each operation in the precision it needs, so the cast is dropped.
    """
    fabric.strategy.precision.convert_input = _unchanged


def _unchanged(data: Any) -> Any:
    return data


def _fsdp_strategy(accelerator: str, blocks: frozenset) -> Any:
    """FSDP with a unit per repeated block, full state dicts on save (one checkpoint file
    whatever the world size: resume does not depend on it), float32 parameters and the batch
    left as the loader made it (``geoarena.train.sharded.float32_units``). On CPUs (gloo) the
    units are placed there (``geoarena.train.sharded.CPUFSDPStrategy``)."""
    from lightning.fabric.strategies import FSDPStrategy

    from geoarena.train.sharded import CPUFSDPStrategy, float32_units

    cls = FSDPStrategy if accelerator == "cuda" else CPUFSDPStrategy
    return cls(
        auto_wrap_policy=set(blocks) or None,
        state_dict_type="full",
        mixed_precision=float32_units(),
    )


def reduce_mean(fabric: Any, values: dict[str, float]) -> dict[str, float]:
    """Average scalar metrics over ranks (identity in a world of one)."""
    if fabric is None or fabric.world_size == 1 or not values:
        return values
    import torch

    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=fabric.device)
    t = fabric.all_reduce(t, reduce_op="mean")
    return {k: float(v) for k, v in zip(keys, t.tolist(), strict=True)}


def reduce_sum(fabric: Any, values: dict[str, float]) -> dict[str, float]:
    """Sum scalar counters over ranks (identity in a world of one)."""
    if fabric is None or fabric.world_size == 1 or not values:
        return values
    import torch

    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=fabric.device)
    t = fabric.all_reduce(t, reduce_op="sum")
    return {k: float(v) for k, v in zip(keys, t.tolist(), strict=True)}


_READ_ONLY_ATTRS = frozenset({"tracking_uri", "experiment_name", "experiment_id"})


class RankZeroTracker(Tracker):
    """Wraps a tracker so that only global rank 0 writes; every rank may read.

    Reads (``find_runs``, ``download_artifact``) go to the wrapped store on every rank so that all
    ranks take the same decisions (skip a finished cell, resume an interrupted one). On other
    ranks ``start_run`` returns the re-opened run's id (or a placeholder) and writes are dropped:
    MLflow holds one run per cell whatever the world size.
    """

    def __init__(self, inner: Tracker, rank: int):
        self.inner, self.rank = inner, rank

    def __getattr__(self, name: str) -> Any:
        # rank 0 exposes the store's own attributes (``client``…); other ranks only what names
        # the store, so that code writing through ``tracker.client`` cannot write from them
        if name == "inner" or (self.rank != 0 and name not in _READ_ONLY_ATTRS):
            raise AttributeError(name)
        return getattr(self.inner, name)

    def start_run(self, name, tags=None, parent_id=None, run_id=None):
        if self.rank == 0:
            return self.inner.start_run(name, tags=tags, parent_id=parent_id, run_id=run_id)
        return run_id or f"rank{self.rank}:{name}"

    def _write(self, method: str, *args: Any, **kwargs: Any) -> None:
        if self.rank == 0:
            getattr(self.inner, method)(*args, **kwargs)

    def log_params(self, run_id, params):
        self._write("log_params", run_id, params)

    def log_metrics(self, run_id, metrics, step=None):
        self._write("log_metrics", run_id, metrics, step=step)

    def set_tags(self, run_id, tags):
        self._write("set_tags", run_id, tags)

    def log_artifact(self, run_id, path, artifact_path=None):
        self._write("log_artifact", run_id, path, artifact_path)

    def delete_artifacts(self, run_id, artifact_path):
        self._write("delete_artifacts", run_id, artifact_path)

    def log_text(self, run_id, text, artifact_file):
        self._write("log_text", run_id, text, artifact_file)

    def log_figure(self, run_id, figure, artifact_file):
        self._write("log_figure", run_id, figure, artifact_file)

    def flush(self, run_id=None):
        self._write("flush", run_id)

    def end_run(self, run_id, status="FINISHED"):
        self._write("end_run", run_id, status)

    def find_runs(self, filter_tags, status=None):
        return self.inner.find_runs(filter_tags, status=status)

    def download_artifact(self, run_id, artifact_path, dst_dir):
        return self.inner.download_artifact(run_id, artifact_path, dst_dir)


def rank_zero_tracker(tracker: Tracker, world: World | None = None) -> Tracker:
    """``tracker`` itself in a world of one or on rank 0; a write-dropping wrapper elsewhere."""
    world = world or world_from_env()
    return tracker if world.size == 1 else RankZeroTracker(tracker, world.rank)
