"""Epoch checkpoints and resume in-process (NullTracker store), the loader pipeline's worker
determinism and per-process handles, and which runs a rerun re-opens."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from geoarena.core.checkpoint import checkpointing, resumable_run, rng_state, set_rng_state
from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.task import DataModule
from geoarena.core.tracking import NullTracker
from geoarena.train.dataloading import PipelineLoaders, per_process, settings_for
from geoarena.train.fit_loop import TorchFitLoop


class Blobs:
    """Map-style dataset of Gaussian blobs, read sample by sample."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"image": self.x[i], "label": self.y[i], "pid": torch.tensor(os.getpid())}


class BlobData(PipelineLoaders, DataModule):
    def __init__(self):
        g = torch.Generator().manual_seed(1234)
        centers = torch.randn(3, 8, generator=g) * 3
        y = torch.randint(0, 3, (200,), generator=g)
        self.x, self.y = centers[y] + torch.randn(200, 8, generator=g) * 1.5, y
        self.info = None  # nothing for a model to read: the test drives the loop directly

    def setup(self, label_fraction=1.0, seed=0):
        self._seed, self._epoch = seed, 0
        self.reset_loaders()

    def num_samples(self, split):
        return 120 if split == "train" else 80

    def split_dataset(self, split):
        sl = slice(0, 120) if split == "train" else slice(120, 200)
        return Blobs(self.x[sl], self.y[sl])


def _fit(
    store_tracker=None, run_id=None, crash_at=None, workers=0, epochs=5, first_epoch=0, ema=0.0
):
    torch.manual_seed(0)
    data = BlobData()
    data.setup(seed=3)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(32, 3)
    )
    scores = iter([0.5, 0.7, 0.6, 0.8, 0.75, 0.7][first_epoch:])  # val score by epoch

    def evaluate():
        return {"val/acc": next(scores)}

    loop = TorchFitLoop(
        model, lambda o, b: F.cross_entropy(o, b["label"]), evaluate, "val/acc", device="cpu"
    )
    loop.ema_decay = ema
    losses = []

    def on_epoch(epoch, m):
        if epoch == crash_at:
            raise RuntimeError("simulated crash")
        losses.append((epoch, m["train/loss"]))

    train = TrainConfig(
        epochs=epochs, batch_size=20, lr=0.02, early_stop_patience=0, num_workers=workers
    )
    if store_tracker is None:
        res = loop.fit(data, train, on_epoch)
    else:
        with checkpointing(store_tracker, run_id):
            res = loop.fit(data, train, on_epoch)
    return model, res, losses


@pytest.mark.parametrize("ema", [0.0, 0.9])  # with an EMA its average resumes too
def test_a_crashed_fit_resumes_from_its_last_checkpoint_with_the_uninterrupted_result(ema):
    ref_model, ref, ref_losses = _fit(ema=ema)
    tracker = NullTracker()
    rid = tracker.start_run("cell", tags={"config_hash": "h"})
    with pytest.raises(RuntimeError, match="simulated crash"):
        _fit(tracker, rid, crash_at=3, ema=ema)
    assert tracker.runs[rid].tags["checkpoint_epoch"] == "2"  # epochs 0–2 stored
    model, res, losses = _fit(tracker, rid, first_epoch=3, ema=ema)
    assert res.extra["resumed_at_epoch"] == 3 and res.epochs_run == 5
    assert [e for e, _ in losses] == [3, 4]
    assert losses == ref_losses[3:]  # dropout masks and batch order continue exactly
    assert res.best_epoch == ref.best_epoch == 3 and res.best_val == ref.best_val
    for a, b in zip(model.state_dict().values(), ref_model.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # the best epoch's weights, restored from the checkpoint


def test_without_a_store_or_with_checkpoint_every_0_nothing_is_saved():
    _, res, _ = _fit(epochs=2)
    assert "resumed_at_epoch" not in res.extra


def test_worker_processes_deliver_the_main_thread_batches_and_open_their_own_handles():
    data = BlobData()
    data.setup(seed=5)
    main = [b for b in data.loader("train", 16)]
    data.set_epoch(0)
    data.configure_loading(settings_for(2, 2, "cpu"))
    work = [b for b in data.loader("train", 16)]
    assert len(main) == len(work) == 8
    for a, b in zip(main, work, strict=True):
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"])
    assert {int(p) for b in work for p in b["pid"]} - {os.getpid()}  # read in worker processes
    again = data.loader("train", 16)  # persistent workers: the same loader, the next epoch
    assert again is data._loaders[("train", 16, True, False)]
    assert not torch.equal(next(iter(again))["label"], work[0]["label"])
    data.reset_loaders()

    OPENED.clear()
    handle = per_process(_open)
    assert handle("a") == handle("a") == ("a", os.getpid()) and len(OPENED) == 1
    import pickle

    clone = pickle.loads(pickle.dumps(handle))  # what a spawned worker receives
    assert not clone._cache  # handles never travel with the object
    assert clone("a") == ("a", os.getpid()) and len(OPENED) == 2  # the clone opened its own


OPENED: list = []


def _open(key):
    OPENED.append(key)
    return (key, os.getpid())


def test_rng_state_round_trip():
    state = rng_state()
    draws = (torch.rand(3), np.random.rand(3), random.random())
    set_rng_state(state)
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(draws[0], again[0]) and np.array_equal(draws[1], again[1])
    assert draws[2] == again[2]


def test_a_rerun_reopens_only_an_unfinished_checkpointed_run_of_the_same_cell():
    tracker = NullTracker()
    cfg = RunConfig(task="t", model="m", suite="s")
    h = cfg.hash()

    def add(status, **tags):
        rid = tracker.start_run("x", tags={"config_hash": h, "suite": "s", **tags})
        tracker.end_run(rid, status)
        return rid

    add("FINISHED", checkpoint_epoch="4")
    add("RUNNING")  # died before its first checkpoint
    add("KILLED", checkpoint_epoch="1", state="PRUNED")
    add("RUNNING", checkpoint_epoch="0", suite="other")
    assert resumable_run(tracker, cfg) is None
    rid = add("RUNNING", checkpoint_epoch="2")  # kill -9 leaves the run RUNNING
    assert resumable_run(tracker, cfg) == rid
    cfg.train.checkpoint_every = 0
    assert resumable_run(tracker, cfg) is None


def test_cuda_rng_states_of_more_devices_than_this_machine_has_restore_the_ones_it_has(
    monkeypatch,
):
    # a checkpoint written on an 8-GPU node resumed on a 1-GPU machine (or a CPU-only one)
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda s, i: restored.append((i, len(s))))
    state = rng_state()
    state["cuda"] = [torch.zeros(16, dtype=torch.uint8) for _ in range(8)]
    set_rng_state(state)
    assert restored == [(0, 16)]


def test_an_fp16_fit_resumes_with_its_loss_scale(monkeypatch):
    # the GradScaler's scale was not stored: a resumed fp16 fit restarted at 2**16 and skipped
    # steps on overflow until it had backed off again (fp16 AMP: GPUs without native bf16)
    import io

    from lightning.fabric import Fabric
    from lightning.fabric.plugins.precision import MixedPrecision

    import geoarena.train.distributed as distributed

    # Fabric's CPU check turns 16-mixed into bf16: the plugin is given directly
    def fp16_fabric(train, device, find_unused=False, fsdp_blocks=frozenset()):
        fabric = Fabric(accelerator="cpu", devices=1, plugins=[MixedPrecision("16-mixed", "cpu")])
        fabric.launch()
        return fabric

    monkeypatch.setattr(distributed, "make_fabric", fp16_fabric)

    def fit(tracker, rid, crash_at=None):
        torch.manual_seed(0)
        data = BlobData()
        data.setup(seed=3)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        loop = TorchFitLoop(
            model, lambda o, b: F.cross_entropy(o, b["label"]), lambda: {"val/a": 0.0}, "val/a"
        )
        loop.device = "cpu"

        def on_epoch(epoch, m):
            if epoch == crash_at:
                raise RuntimeError("simulated crash")

        train = TrainConfig(epochs=2, batch_size=40, early_stop_patience=0)
        with checkpointing(tracker, rid):
            loop.fit(data, train, on_epoch)
        return loop

    tracker = NullTracker()
    rid = tracker.start_run("cell", tags={"config_hash": "h"})
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(tracker, rid, crash_at=1)
    key = (rid, "checkpoints/last.pt")
    ckpt = torch.load(io.BytesIO(tracker.files[key]), weights_only=True)
    assert ckpt["precision"]["scale"] == 2.0**16
    ckpt["precision"]["scale"] = 8.0  # as if it had backed off
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    tracker.files[key] = buf.getvalue()
    loop = fit(tracker, rid)
    assert loop.fabric.strategy.precision.scaler.get_scale() == 8.0
