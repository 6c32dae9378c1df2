"""Contract test suites every task and model must pass (the ``optuna.testing`` style).

Subclass in a test module and provide the fixtures; pytest collects the inherited tests::

    class TestBlobs(TaskContract):
        @pytest.fixture
        def task_name(self):
            return "test/blobs"

``data_context`` defaults to an embedded-data context; override it for tasks read by
``--data-root``. The root test ``tests/test_contracts.py`` runs both suites over every
registered task and model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from geoarena.core.registry import MODELS, PROTOCOLS, TASKS
from geoarena.core.task import DataContext

KINDS = {"cls", "multilabel", "seg", "regression", "instance_seg", "det", "obb", "pc_seg"}
KINDS |= {"geoparse", "ner"}


def _first(batch: dict[str, Any]) -> Any:
    key = sorted(batch)[0]
    v = batch[key]
    return np.asarray(v.detach().cpu() if hasattr(v, "detach") else v, dtype=object)


class TaskContract:
    """What every registered task guarantees to the runner and to models."""

    @pytest.fixture
    def data_context(self, tmp_path) -> DataContext:
        return DataContext(cache_dir=tmp_path / "cache", quick=True)

    def test_registration_is_consistent(self, task_name: str) -> None:
        task = TASKS.get(task_name)
        assert task.name == task_name and task.kind in KINDS
        assert task.package == task_name.split("/", 1)[0]
        assert task.direction in ("maximize", "minimize") and task.metric

    def test_setup_is_deterministic_and_batches_are_dicts(self, task_name, data_context) -> None:
        task = TASKS.get(task_name)
        from geoarena.core.seeding import seed_everything

        batches = []
        for _ in range(2):
            seed_everything(3)  # as the runner does before setup: loaders may draw from torch
            data = task.datamodule(data_context)
            data.setup(label_fraction=1.0, seed=3)
            batch = next(iter(data.loader("train", 2, shuffle=True)))
            assert isinstance(batch, dict) and batch, f"{task_name}: a batch is a non-empty dict"
            batches.append(batch)
        assert sorted(batches[0]) == sorted(batches[1])
        assert repr(_first(batches[0])) == repr(_first(batches[1])), "same seed, same first batch"

    def test_label_fraction_subsets_train_only(self, task_name, data_context) -> None:
        task = TASKS.get(task_name)
        full, half = task.datamodule(data_context), task.datamodule(data_context)
        full.setup(label_fraction=1.0, seed=0)
        half.setup(label_fraction=0.5, seed=0)
        if full.num_samples("train") < 0:
            pytest.fail(f"{task_name}: num_samples must report the split sizes")
        assert 0 < half.num_samples("train") <= full.num_samples("train")
        for split in ("val", "test"):
            assert half.num_samples(split) == full.num_samples(split), f"{split} must not change"


class ModelAdapterContract:
    """What every registered model declares, so the runner can hold it to its word."""

    @pytest.fixture
    def data_context(self, tmp_path) -> DataContext:
        return DataContext(cache_dir=tmp_path / "cache", quick=True)

    def test_declares_kinds_protocols_and_train_keys(self, model_name: str) -> None:
        meta = MODELS.meta(model_name)
        assert set(meta.get("kinds") or ()) <= KINDS and meta.get("kinds"), "declare kinds"
        protocols = meta.get("protocols")
        assert protocols, f"{model_name}: declare the protocols it applies"
        assert set(protocols) <= set(PROTOCOLS.names())
        assert "train_keys" in meta, f"{model_name}: declare the train keys it reads"

    def test_is_built_lazily(self, model_name: str) -> None:
        """The registry entry is a factory; building it is what loads the heavy libraries."""
        assert callable(MODELS.get(model_name))

    def test_each_declared_protocol_is_applied(self, model_name, task_name, data_context) -> None:
        """Build the model under every protocol it declares: a freezing one must freeze."""
        from geoarena.core.config import RunConfig
        from geoarena.core.honoured import check_frozen

        task = TASKS.get(task_name)
        data = task.datamodule(data_context)
        data.setup(label_fraction=1.0, seed=0)
        for name in MODELS.meta(model_name)["protocols"]:
            adapter = MODELS.get(model_name)()
            cfg = RunConfig(task=task_name, model=model_name, protocol=name, quick=True)
            adapter.build(task, PROTOCOLS.get(name), cfg, data)
            check_frozen(
                PROTOCOLS.get(name), adapter.num_parameters(), adapter.num_trainable_parameters()
            )
