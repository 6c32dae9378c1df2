"""Data-parallel pieces that run in one process: the launcher environment, rank-zero tracking,
the rank-sharded sampler, global batch semantics, accumulation and bf16 autocast on CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from geoarena.core.config import TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.tracking import NullTracker
from geoarena.train.dataloading import _sampler_class, epoch_order
from geoarena.train.distributed import RankZeroTracker, rank_zero_tracker, world_from_env
from geoarena.train.fit_loop import TorchFitLoop, micro_batch_size
from geoarena.train.testing import ToyBlobs


def test_world_from_torchrun_slurm_and_plain_environments():
    tr = world_from_env(
        {
            "TORCHELASTIC_RUN_ID": "x",
            "RANK": "3",
            "LOCAL_RANK": "1",
            "WORLD_SIZE": "4",
            "LOCAL_WORLD_SIZE": "2",
            "SLURM_NTASKS": "2",
            "SLURM_PROCID": "1",
        }
    )  # torchrun inside a Slurm allocation (one torchrun per node): torchrun's ranks win
    assert (tr.rank, tr.local_rank, tr.size, tr.num_nodes, tr.launcher) == (3, 1, 4, 2, "torchrun")
    sl = world_from_env(
        {
            "SLURM_NTASKS": "8",
            "SLURM_PROCID": "5",
            "SLURM_LOCALID": "1",
            "SLURM_NNODES": "2",
            "SLURM_NTASKS_PER_NODE": "4(x2)",
            "SLURM_JOB_NAME": "train",
        }
    )
    assert (sl.rank, sl.local_rank, sl.size, sl.local_size, sl.launcher) == (5, 1, 8, 4, "slurm")
    assert world_from_env({"SLURM_NTASKS": "1", "SLURM_PROCID": "0"}).size == 1
    assert world_from_env({}).is_zero and world_from_env({}).size == 1


def test_rank_zero_tracker_writes_only_from_rank_zero_but_every_rank_reads():
    store = NullTracker()
    zero = RankZeroTracker(store, 0)
    rid = zero.start_run("cell", tags={"config_hash": "abc"})
    zero.log_metrics(rid, {"val/miou": 0.5}, step=0)
    one = RankZeroTracker(store, 1)
    assert one.start_run("cell", run_id=rid) == rid  # a re-opened run keeps its id
    assert one.start_run("cell").startswith("rank1:")
    one.log_metrics(rid, {"val/miou": 0.9}, step=1)
    one.set_tags(rid, {"x": "1"})
    one.end_run(rid, "FAILED")
    assert len(store.runs) == 1 and store.runs[rid].metrics["val/miou"] == [(0, 0.5)]
    assert "x" not in store.runs[rid].tags and store.runs[rid].status == "RUNNING"
    assert [r["run_id"] for r in one.find_runs({"config_hash": "abc"})] == [rid]
    assert not hasattr(one, "runs")  # the store's own handles are not reachable from rank 1
    assert rank_zero_tracker(store) is store  # a world of one is not wrapped


@pytest.mark.parametrize("world,micro", [(2, 4), (4, 2)])
def test_rank_shards_make_up_the_single_process_batches(world, micro):
    n, seed, epoch = 30, 7, 3
    single = epoch_order(n, seed, epoch, shuffle=True)
    # the order is the one the in-thread loaders always used: default_rng([seed, epoch])
    assert np.array_equal(single, np.random.default_rng([seed, epoch]).permutation(n))
    sampler = _sampler_class()
    shards = []
    for rank in range(world):
        s = sampler(n, seed, True, rank, world)
        s.set_epoch(epoch)
        shards.append(list(s))
    assert len({len(s) for s in shards}) == 1
    glob = micro * world
    for k in range(n // glob):  # the k-th global batch = union of the ranks' k-th micro-batches
        union = sorted(i for s in shards for i in s[k * micro : (k + 1) * micro])
        assert union == sorted(single[k * glob : (k + 1) * glob].tolist())


def test_global_batch_must_divide_into_ranks_and_micro_batches():
    assert micro_batch_size(TrainConfig(batch_size=32, accumulate_grad_batches=2), 4) == 4
    with pytest.raises(ConfigError, match="not divisible"):
        micro_batch_size(TrainConfig(batch_size=10, accumulate_grad_batches=3), 1)


def _fit(train: TrainConfig, probe=None):
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    if probe is not None:
        model[0].register_forward_hook(probe)
    loop = TorchFitLoop(
        model,
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=lambda: {"val/acc": 0.0},
        monitor="val/acc",
        device="cpu",
    )
    seen = []
    loop.fit(data, train, lambda e, m: seen.append(m["train/loss"]))
    return model, seen


def test_gradient_accumulation_matches_the_full_batch_step():
    base = dict(epochs=2, batch_size=40, lr=0.05, early_stop_patience=0, scheduler="none")
    full, loss_full = _fit(TrainConfig(**base))
    acc, loss_acc = _fit(TrainConfig(**base, accumulate_grad_batches=4))
    for a, b in zip(full.parameters(), acc.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(loss_full, loss_acc, rtol=1e-5)


def test_bf16_autocast_on_cpu_runs_the_forward_in_bfloat16_and_learns():
    dtypes = []
    model, losses = _fit(
        TrainConfig(
            epochs=3, batch_size=30, lr=0.05, early_stop_patience=0, precision="bf16-mixed"
        ),
        probe=lambda m, i, o: dtypes.append(o.dtype),
    )
    assert set(dtypes) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32
    assert losses[-1] < losses[0]
    _, fp32 = _fit(TrainConfig(epochs=3, batch_size=30, lr=0.05, early_stop_patience=0))
    assert abs(fp32[-1] - losses[-1]) < 0.05  # bf16 rounding, not a different optimisation


def test_fsdp_without_cuda_is_a_clear_error():
    with pytest.raises(ConfigError, match="fsdp in one process needs a CUDA device"):
        _fit(TrainConfig(epochs=1, batch_size=30, strategy="fsdp"))


class _Block(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.attn, self.mlp = nn.Linear(width, 3 * width), nn.Linear(width, 4 * width)


class _Encoder(nn.Module):  # timm's ViT layout: a stem, a `blocks` nn.Sequential, a norm
    def __init__(self, width: int, depth: int = 2):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 16, 16)
        self.blocks = nn.Sequential(*(_Block(width) for _ in range(depth)))
        self.norm = nn.LayerNorm(width)


def test_fsdp_units_are_the_repeated_blocks_only():
    """The blocks (1.0 M each at width 384) are units; not the `blocks` container nor the
    encoder, whose other methods (timm's `forward_intermediates`, `len(blocks)`) bypass a unit;
    a size-based policy wrapped the container (its two halves of blocks made 1.2 M)."""
    from geoarena.train.sharded import repeated_blocks

    wide = _Encoder(384)
    assert sum(p.numel() for p in wide.blocks[0].parameters()) >= 1_000_000
    assert repeated_blocks(wide) == frozenset({_Block})
    assert repeated_blocks(wide, min_params=2_000_000) == frozenset()  # too small: root only
    assert repeated_blocks(_Encoder(192)) == frozenset()  # 0.26 M blocks stay in the root
    assert repeated_blocks(_Encoder(384, depth=1)) == frozenset()  # one block: not repeated
    lone = nn.Sequential(nn.Linear(2000, 1000), nn.ReLU())  # 2 M, but not repeated
    assert repeated_blocks(lone) == frozenset()
    twins = nn.ModuleList([nn.Linear(1000, 1000), nn.Linear(1000, 1000)])
    assert repeated_blocks(twins) == frozenset({nn.Linear})


@pytest.mark.cuda
def test_cuda_amp_fit_uses_the_gpu_and_pinned_batches():
    dtypes = []
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    model[0].register_forward_hook(lambda m, i, o: dtypes.append((o.dtype, o.device.type)))
    loop = TorchFitLoop(
        model,
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=lambda: {"val/acc": 0.0},
        monitor="val/acc",
        device="cuda",
    )
    seen = []
    loop.fit(
        data,
        TrainConfig(epochs=3, batch_size=30, lr=0.05, early_stop_patience=0),
        lambda e, m: seen.append(m["train/loss"]),
    )
    half = (
        torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16
    )
    assert set(dtypes) == {(half, "cuda")} and seen[-1] < seen[0]


@pytest.mark.cuda
@pytest.mark.parametrize("extra", [{"compile": True}, {"strategy": "fsdp"}])
def test_cuda_compile_and_fsdp_fits_learn(extra):
    torch.manual_seed(0)
    data = ToyBlobs()
    data.setup()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    loop = TorchFitLoop(
        model,
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=lambda: {"val/acc": 0.0},
        monitor="val/acc",
        device="cuda",
    )
    seen = []
    train = TrainConfig(epochs=3, batch_size=30, lr=0.05, early_stop_patience=0, **extra)
    loop.fit(data, train, lambda e, m: seen.append(m["train/loss"]))
    assert seen[-1] < seen[0]


def test_mixed_precision_hands_the_model_its_batch_metadata_unrounded():
    # Fabric's plugin cast every float of the input to bf16: a year 2020 reached the model as
    # 2016 in training (validation, which calls the model directly, saw 2020)
    seen = []

    class WithYear(ToyBlobs):
        def loader(self, split, batch_size, shuffle=None):
            for b in super().loader(split, batch_size, shuffle):
                yield {**b, "year": torch.full((len(b["label"]),), 2020.0)}

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(8, 3)

        def forward(self, batch):
            seen.append((batch["year"].dtype, float(batch["year"][0])))
            return self.lin(batch["image"])

    data = WithYear()
    data.setup()
    loop = TorchFitLoop(
        Net(),
        lambda out, b: F.cross_entropy(out, b["label"]),
        evaluate=lambda: {"val/acc": 0.0},
        monitor="val/acc",
        inputs=lambda batch: batch,
        device="cpu",
    )
    train = TrainConfig(epochs=1, batch_size=30, early_stop_patience=0, precision="bf16-mixed")
    loop.fit(data, train)
    assert seen and set(seen) == {(torch.float32, 2020.0)}


def test_amp_picks_fp16_on_a_gpu_whose_bf16_is_only_emulated(monkeypatch):
    # torch reports bf16 "supported" on a T4/V100 (emulated, slow): AMP must take fp16 there
    from geoarena.train.distributed import resolve_precision

    monkeypatch.setattr(
        torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation
    )
    assert resolve_precision(TrainConfig(amp=True), "cuda:1") == "16-mixed"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert resolve_precision(TrainConfig(amp=True), "cuda") == "bf16-mixed"
    assert resolve_precision(TrainConfig(amp=True), "cpu") == "32-true"


@pytest.mark.slow
def test_ddp_fits_a_model_whose_parameter_a_batch_leaves_unused():
    """Under torchrun (gloo), a learned scale that the batches never use stops DDP at the
    second step unless the model declares it; declared, both ranks fit."""
    import os
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    script = Path(__file__).with_name("ddp_conditional_fit.py")

    def run(*extra):
        cmd = [torchrun, "--standalone", "--nproc_per_node=2", str(script), *extra]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)

    ok = run()
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert sorted(re.findall(r"FIT_OK (\d+) (\d+)", ok.stdout)) == [("2", "0"), ("2", "1")]
    # each rank augments from a stream of its own: the same number of draws, different values
    aug = dict(re.findall(r"AUG (\d) (\S+)", ok.stdout))
    assert aug.keys() == {"0", "1"} and len(aug["0"].split(",")) == len(aug["1"].split(",")) > 1
    assert aug["0"] != aug["1"]
    undeclared = run("--unmarked")
    assert undeclared.returncode != 0
    assert "parameters that were not used in producing loss" in undeclared.stderr
