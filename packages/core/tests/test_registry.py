import pytest

from geoarena.core.errors import NotInstalledError, UnknownNameError
from geoarena.core.registry import PROTOCOLS, TASKS, Registry, package_status
from geoarena.train.testing import register_toys


def test_standard_protocols_registered_by_core_plugin():
    assert {"finetune", "linear_probe", "frozen", "partial2", "lora"} <= set(PROTOCOLS.names())
    assert PROTOCOLS.get("linear_probe").frozen_or_full_ft == "frozen"
    assert PROTOCOLS.get("finetune").frozen_or_full_ft == "full_ft"


def test_unknown_name_lists_known_ones():
    register_toys()
    with pytest.raises(UnknownNameError, match=r"unknown task 'test/nope'.*test/blobs"):
        TASKS.get("test/nope")


def test_missing_package_is_explained_not_crashed(monkeypatch):
    import geoarena.core.registry as reg

    monkeypatch.setitem(reg.KNOWN_PACKAGES, "zz", "geoarena-zz")
    assert package_status()["zz"] == "not installed: pip install geoarena-zz"
    with pytest.raises(NotInstalledError, match="pip install geoarena-zz"):
        TASKS.get("zz/anything")


def test_task_factories_are_built_once():
    calls = []
    r = Registry("thing", call_factories=True)
    r.add("x/a", lambda: calls.append(1) or "built")
    assert r.get("x/a") == "built" and r.get("x/a") == "built"
    assert calls == [1]
