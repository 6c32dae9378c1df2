"""Reusable test helpers and contract checks (optuna.testing style).

``ToyClassificationTask`` / ``ToyMLPAdapter`` are a deliberately tiny, fully synthetic task and
model used ONLY to test the harness mechanics (runner, suite, resume, tracking). They are
registered under the ``test/`` prefix by :func:`register_toys` and never appear in a suite
unless a test adds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.model import FitResult, ModelAdapter, ModelCard
from geoarena.core.task import DataModule, Task


@dataclass(frozen=True)
class ToyInfo:
    """What the toy model needs to know about the toy data (its typed ``DataModule.info``)."""

    n_features: int
    input_unit: str = "toy"
    normalization: str = "none"


@dataclass
class ToyBlobs(DataModule):
    """Gaussian blobs in ``dim`` dimensions, ``classes`` classes; deterministic in the seed."""

    n: int = 240
    dim: int = 8
    classes: int = 3
    fail_on_setup: str = ""
    info: ToyInfo = field(init=False)

    def __post_init__(self) -> None:
        self.info = ToyInfo(n_features=self.dim)

    def describe(self) -> dict[str, str]:
        """Input unit and normalisation for the results table."""
        return {"input_unit": self.info.input_unit, "normalization": self.info.normalization}

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        import torch

        if self.fail_on_setup:
            from geoarena.core.errors import DataError

            raise DataError(self.fail_on_setup, "toy.tif")
        rng = np.random.default_rng(1234)  # the dataset itself never changes with the seed
        centers = rng.normal(0, 3, (self.classes, self.dim))
        y = rng.integers(0, self.classes, self.n)
        x = centers[y] + rng.normal(0, 1.5, (self.n, self.dim))
        idx = {
            "train": np.arange(0, self.n // 2),
            "val": np.arange(self.n // 2, 3 * self.n // 4),
            "test": np.arange(3 * self.n // 4, self.n),
        }
        sub = np.random.default_rng(seed).permutation(idx["train"])
        idx["train"] = np.sort(sub[: max(self.classes, round(label_fraction * len(sub)))])
        self._x = torch.tensor(x, dtype=torch.float32)
        self._y = torch.tensor(y, dtype=torch.int64)
        self._idx = idx
        self._seed = seed

    def num_samples(self, split: str) -> int:
        return len(self._idx[split])

    def loader(self, split, batch_size, shuffle=None):
        shuffle = split == "train" if shuffle is None else shuffle
        ids = self._idx[split]
        if shuffle:
            ids = np.random.default_rng(self._seed).permutation(ids)
        for i in range(0, len(ids), batch_size):
            b = ids[i : i + batch_size]
            yield {"image": self._x[b], "label": self._y[b]}


def toy_task(name: str = "test/blobs", fail_on_setup: str = "") -> Task:
    return Task(
        name=name,
        kind="cls",
        datamodule=lambda ctx: ToyBlobs(fail_on_setup=fail_on_setup),
        metrics=lambda: ConfusionMatrixMetric(3, "label", class_names=("a", "b", "c")),
        metric="overall_accuracy",
        num_classes=3,
        class_names=("a", "b", "c"),
        modality="test",
        description="synthetic blobs (harness tests only)",
    )


class ToyMLPAdapter(ModelAdapter):
    """A two-layer MLP trained with the shared ``TorchFitLoop``."""

    def __init__(self, hidden: int = 16, fail_in_fit: bool = False):
        import os

        self.hidden = hidden
        self.fail_in_fit = fail_in_fit
        # slows epochs down for kill/resume tests; an env var, so it does not change the config hash
        self.sleep_s = float(os.environ.get("GEOARENA_TOY_SLEEP_S", "0"))
        self.card = ModelCard(name="test/mlp", backbone="mlp", decoder="linear", input_unit="toy")

    def build(self, task, protocol, cfg, data):
        import torch.nn as nn

        self.task, self.cfg = task, cfg
        self.model = nn.Sequential(
            nn.Linear(data.info.n_features, self.hidden),
            nn.ReLU(),
            nn.Linear(self.hidden, task.num_classes),
        )
        if protocol.freeze == "backbone":
            for p in self.model[0].parameters():
                p.requires_grad_(False)

    def fit(self, data, train, on_epoch) -> FitResult:
        import time

        import torch.nn.functional as F

        from geoarena.core.evaluation import evaluate_split
        from geoarena.train.fit_loop import TorchFitLoop

        if self.fail_in_fit:
            raise RuntimeError("toy failure in fit")
        metric = self.task.metrics()

        def hook(epoch, metrics):
            if self.sleep_s:
                time.sleep(self.sleep_s)
            on_epoch(epoch, metrics)

        loop = TorchFitLoop(
            self.model,
            lambda out, b: F.cross_entropy(out, b["label"]),
            evaluate=lambda: evaluate_split(self.predict, data, "val", metric, train.batch_size),
            monitor=f"val/{self.task.metric}",
            device="cpu",
        )
        return loop.fit(data, train, hook)

    def predict(self, batch):
        import torch

        with torch.no_grad():
            return self.model(batch["image"])


def register_toys() -> None:
    """Register ``test/blobs``, ``test/broken`` and ``test/mlp`` (idempotent)."""
    from geoarena.core.honoured import ALL_TRAIN_KEYS
    from geoarena.core.registry import MODELS, TASKS

    # the decorators applied here, not on the definitions: the toys exist only once a test asks
    TASKS.register("test/blobs")(toy_task)
    TASKS.register("test/broken")(broken_toy_task)
    MODELS.register(
        "test/mlp",
        kinds=("cls",),
        protocols=("finetune", "linear_probe", "frozen"),
        train_keys=ALL_TRAIN_KEYS,
    )(ToyMLPAdapter)


def broken_toy_task() -> Task:
    """A toy task whose data fails in ``setup`` (a FAILED cell that the suite must survive)."""
    return toy_task("test/broken", fail_on_setup="corrupt raster: not a GeoTIFF")
