"""The contract suites on the synthetic toys — and proof that they can fail."""

from __future__ import annotations

import pytest

from geoarena.core.contracts import ModelAdapterContract, TaskContract
from geoarena.core.registry import MODELS
from geoarena.train.testing import ToyMLPAdapter, register_toys


@pytest.fixture(autouse=True)
def toys():
    register_toys()


class TestToyTask(TaskContract):
    @pytest.fixture
    def task_name(self):
        return "test/blobs"


class TestToyModel(ModelAdapterContract):
    @pytest.fixture
    def model_name(self):
        return "test/mlp"

    @pytest.fixture
    def task_name(self):
        return "test/blobs"


class NoFreeze(ToyMLPAdapter):
    def build(self, task, protocol, cfg, data):
        from geoarena.core.protocol import EvalProtocol

        super().build(task, EvalProtocol("finetune"), cfg, data)


def test_the_model_contract_catches_a_model_that_ignores_freezing(monkeypatch, tmp_path):
    monkeypatch.setattr(MODELS, "_entries", dict(MODELS._entries))
    MODELS.register("test/no-freeze", kinds=("cls",), protocols=("linear_probe",), train_keys=())(
        NoFreeze
    )
    contract = ModelAdapterContract()
    from geoarena.core.task import DataContext

    with pytest.raises(Exception, match="ignored the protocol"):
        contract.test_each_declared_protocol_is_applied(
            "test/no-freeze", "test/blobs", DataContext(cache_dir=tmp_path, quick=True)
        )


def test_the_model_contract_catches_a_missing_declaration(monkeypatch):
    monkeypatch.setattr(MODELS, "_entries", dict(MODELS._entries))
    MODELS.register("test/undeclared", kinds=("cls",))(ToyMLPAdapter)
    with pytest.raises(AssertionError, match="declare the protocols"):
        ModelAdapterContract().test_declares_kinds_protocols_and_train_keys("test/undeclared")
