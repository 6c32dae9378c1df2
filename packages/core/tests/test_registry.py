from dataclasses import dataclass

import pytest

from geoarena.core.errors import DuplicateNameError, NotInstalledError, UnknownNameError
from geoarena.core.registry import PROTOCOLS, TASKS, Bound, Registry, package_status
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


@dataclass(frozen=True)
class _Row:
    name: str
    width: int


ROWS = (_Row("a", 1), _Row("b", 2), _Row("c", 3))


def _make(row: _Row, **kw):
    return ("built", row.width, kw)


def test_register_each_registers_every_row_with_its_meta():
    r = Registry("model")
    returned = r.register_each(
        ROWS, name=lambda s: f"x/{s.name}", meta=lambda s: {"width": s.width}, family="toy"
    )(_make)
    assert returned is _make  # the decorator leaves the factory usable as written
    assert [n for n in r._entries] == ["x/a", "x/b", "x/c"]
    assert r.get("x/b")(depth=4) == ("built", 2, {"depth": 4})
    assert r.meta("x/c") == {"family": "toy", "width": 3}


def test_register_each_builds_tasks_once_from_their_row():
    r = Registry("task", call_factories=True)
    calls = []
    r.register_each(ROWS, name=lambda s: s.name)(lambda row: calls.append(row) or row.width)
    assert [r.get(n) for n in ("a", "b", "a")] == [1, 2, 1]
    assert calls == [ROWS[0], ROWS[1]]


def test_register_each_again_is_a_no_op():
    r = Registry("model")
    for _ in range(2):  # a plugin loaded twice; the rows are equal values, not the same objects
        r.register_each([_Row(s.name, s.width) for s in ROWS], name=lambda s: s.name)(_make)
    assert sorted(r._entries) == ["a", "b", "c"]


def test_register_each_rejects_a_name_taken_twice():
    r = Registry("model")
    with pytest.raises(DuplicateNameError, match=r"model 'a' is registered twice"):
        r.register_each([_Row("a", 1), _Row("a", 2)], name=lambda s: s.name)(_make)
    r2 = Registry("model")
    r2.register("a")(_make)
    with pytest.raises(DuplicateNameError, match=r"'a' is registered twice.*_make"):
        r2.register_each(ROWS, name=lambda s: s.name)(_make)
    r3 = Registry("model")
    r3.register_each(ROWS, name=lambda s: s.name)(_make)
    with pytest.raises(DuplicateNameError):  # the same rows under another factory
        r3.register_each(ROWS, name=lambda s: s.name)(lambda row: row)


def test_bound_calls_its_factory_with_the_row_first():
    b = Bound(_make, ROWS[0])
    assert b(k=1) == ("built", 1, {"k": 1})
    assert b == Bound(_make, _Row("a", 1)) and b != Bound(_make, ROWS[1])
