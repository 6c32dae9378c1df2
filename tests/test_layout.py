"""The workspace's shape: who imports whom, how big modules are, and that registering the
plugins stays light (``run_benchmark.py --list`` must not load torch & co.)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = REPO / "packages"
LEAVES = ("eo", "det", "pc", "nlp")
#: what each member may import besides itself (leaves: core only)
ALLOWED = {
    "core": set(),
    "train": {"core"},
    "cli": {"core"},
    "store": {"core"},
    "results": {"core", "store"},
    "sweeps": {"core", "store", "results"},
    "serve": {"core"},  # loads a leaf's predictor by its "module:function" string, not by import
    # the torch leaves train with the shared engine; no leaf imports another leaf
    **{leaf: {"core", "train"} for leaf in LEAVES},
}
# tacoreader (GEO-Bench-2's tortilla reader) brings pandas/fsspec/requests; geopandas brings
# shapely/pyproj: both are imported when data are read, never at registration
HEAVY = (
    "torch",
    "timm",
    "ultralytics",
    "spacy",
    "open3d",
    "sklearn",
    "lightgbm",
    "mmseg",
    "tacoreader",
    "geopandas",
)


def _modules() -> dict[str, Path]:
    """``geoarena.x.y`` → file, for every src module of every member."""
    out = {}
    for src in PACKAGES.glob("*/src"):
        for f in src.rglob("*.py"):
            parts = f.relative_to(src).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (annotations only: never imported at run time)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _imports(path: Path) -> set[str]:
    """Every ``geoarena.*`` module imported at run time (top level or inside functions)."""
    names = set()
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _type_checking_blocks(tree)
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("geoarena.")}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i in _imports(f) if i in mods and i != m} for m, f in mods.items()}


def _member(module: str) -> str:
    return module.split(".")[1]


def test_members_import_only_what_the_layout_allows():
    bad = [
        f"{m} imports {i}"
        for m, deps in _graph().items()
        for i in deps
        if _member(i) != _member(m) and _member(i) not in ALLOWED.get(_member(m), set())
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = _graph()
    seen: dict[str, int] = {}  # 1: on the stack, 2: done
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycles.append(" → ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in seen:
                visit(nxt, [*stack, nxt])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_cycle_detection_sees_a_planted_cycle(tmp_path, monkeypatch):
    """The cycle test can fail: two modules importing each other are found."""
    graph = {"geoarena.x.a": {"geoarena.x.b"}, "geoarena.x.b": {"geoarena.x.a"}}
    monkeypatch.setattr(sys.modules[__name__], "_graph", lambda: graph)
    with pytest.raises(AssertionError, match=r"geoarena\.x\.a → geoarena\.x\.b → geoarena\.x\.a"):
        test_no_import_cycles()


def test_core_is_small_and_modules_are_short():
    core = sum(len(f.read_text().splitlines()) for f in (PACKAGES / "core" / "src").rglob("*.py"))
    assert core < 3000, f"geoarena.core has {core} lines (budget 3,000)"
    long = {
        str(f.relative_to(REPO)): n
        for f in PACKAGES.glob("*/src/**/*.py")
        if (n := len(f.read_text().splitlines())) > 400
    }
    assert not long, f"modules over 400 lines: {long}"


def test_registering_the_plugins_loads_no_heavy_library():
    code = (
        "import json, sys\n"
        "from geoarena.core.registry import load_plugins\n"
        "state = load_plugins()\n"
        f"print(json.dumps({{'status': state.status, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(got["status"].values()) == {"ok"}, got["status"]
    assert got["heavy"] == [], f"plugin registration imported {got['heavy']}"


def test_one_registration_idiom_everywhere():
    """Tasks and models register with ``@TASKS.register`` / ``@MODELS.register_each`` beside the
    code; ``add`` is the registry's own primitive (issue 12: one idiom everywhere)."""
    registry = PACKAGES / "core" / "src" / "geoarena" / "core" / "registry.py"
    roots = [PACKAGES, REPO / "tools", REPO / "tests", REPO / "benchmarks", REPO / "experiments"]
    files = [f for root in roots if root.exists() for f in root.rglob("*.py")]
    files += list((REPO / "docs").rglob("*.md"))
    pattern = "(TASKS|MODELS)" + r"\.add\("  # split so this file does not match itself
    found = [
        f"{f.relative_to(REPO)}:{n}"
        for f in files
        if f != registry
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not found, f"register with the decorators, not TASKS/MODELS.add: {found}"
