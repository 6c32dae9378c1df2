"""The core contract suites over every registered task and model.

Tasks: every one, embedded ones on their fetched samples and ``--data-root`` ones on the
committed fixture generators (see ``test_every_pair``). Models: every declaration; the
protocol check builds each family's smallest member on a task of its kind.
"""

from __future__ import annotations

import pytest

from geoarena.core.contracts import ModelAdapterContract, TaskContract
from geoarena.core.registry import MODELS, TASKS
from geoarena.core.task import DataContext

TASK_NAMES = [t for t in TASKS.names() if not t.startswith("test/")]
MODEL_NAMES = [m for m in MODELS.names() if not m.startswith("test/")]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache for every contract test of this module: an embedded task's samples are
    fetched, checked and extracted once, and the geoparsing tasks' gazetteer is built once
    (about 35 s each time), instead of once per test."""
    return tmp_path_factory.mktemp("contract_cache")


def _context(task_name: str, root, cache) -> DataContext:
    needs_root = TASKS.get(task_name).needs_data_root
    return DataContext(data_root=root if needs_root else None, cache_dir=cache, quick=True)


@pytest.mark.slow
class TestEveryTask(TaskContract):
    @pytest.fixture(params=TASK_NAMES)
    def task_name(self, request):
        return request.param

    @pytest.fixture
    def data_context(self, task_name, data_root, shared_cache):
        return _context(task_name, data_root, shared_cache)


class TestEveryModelDeclares(ModelAdapterContract):
    @pytest.fixture(params=MODEL_NAMES)
    def model_name(self, request):
        return request.param

    # building every member is the family test below (a 600M-parameter ViT is not built here)
    test_each_declared_protocol_is_applied = None


@pytest.mark.slow
def test_each_family_applies_its_protocols(family_pair, data_root, shared_cache):
    model_name, task_name = family_pair
    ModelAdapterContract().test_each_declared_protocol_is_applied(
        model_name, task_name, _context(task_name, data_root, shared_cache)
    )
