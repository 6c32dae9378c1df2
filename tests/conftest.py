"""Shared fixtures for the cross-package tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from geoarena.core.registry import MODELS, TASKS

REPO = Path(__file__).resolve().parents[1]
EO_DATA = REPO / "packages" / "eo" / "tests" / "data"

# -- the registry-wide contract runs (test_every_pair, test_contracts) -------------------------
#: the member run for a family (its smallest); other families: the first name in sorted order
SMALLEST = {
    "timm": "eo/resnet18",
    "prithvi": "eo/prithvi-tiny",
    "ultralytics-yolo": "det/yolov8n",
    "geoarena-geoparser": "nlp/population-baseline",
}
#: which family runs every task of its kinds (cheapest first)
FAMILY_ORDER = ["classical", "timm", "ultralytics-yolo", "rcnn", "geoarena-geoparser", "spacy"]


def _family_members() -> dict[str, list[str]]:
    families: dict[str, list[str]] = {}
    for m in MODELS.names():
        if m.startswith("test/"):
            continue
        families.setdefault(MODELS.meta(m).get("family", m), []).append(m)
    return families


def task_model_pairs() -> list[tuple[str, str]]:
    """A covering set of (task, model) pairs, each model its family's smallest member.

    Every task runs with one compatible family (the first in ``FAMILY_ORDER``), and every
    compatible (family, task kind, package) combination runs on one task of that kind — so each
    task and each family × kind × data path is exercised without the full product (which is
    ~700 pairs, hours on 2 cores).
    """
    families = _family_members()

    def fits(task: str) -> list[tuple[str, str]]:
        kind = TASKS.get(task).kind
        out = []
        for family in sorted(
            families, key=lambda f: (FAMILY_ORDER.index(f) if f in FAMILY_ORDER else 99, f)
        ):
            members = [m for m in families[family] if kind in (MODELS.meta(m).get("kinds") or ())]
            if members:
                pick = SMALLEST.get(family, members[0])
                out.append((family, pick if pick in members else members[0]))
        return out

    tasks = [t for t in TASKS.names() if not t.startswith("test/")]
    pairs: dict[tuple[str, str], None] = {}
    covered: set[tuple[str, str, str, bool]] = set()
    for t in tasks:
        task = TASKS.get(t)
        options = fits(t)
        if options:
            pairs[(t, options[0][1])] = None
        for family, model in options:
            key = (family, task.kind, task.package, task.needs_data_root)
            if key not in covered:
                covered.add(key)
                pairs[(t, model)] = None
    return list(pairs)


def pytest_generate_tests(metafunc):
    """``task_model_pair``: every task × each compatible family's smallest member;
    ``family_pair``: one ``(model, task)`` per model family."""
    if "task_model_pair" in metafunc.fixturenames:
        ps = task_model_pairs()
        metafunc.parametrize("task_model_pair", ps, ids=[f"{t}-{m}" for t, m in ps])
    if "family_pair" in metafunc.fixturenames:
        # an HPO wrapper's build runs its whole search; it declares what its base declares,
        # and the base is checked in its own family
        per_model = {
            m: (m, t) for t, m in task_model_pairs() if MODELS.meta(m).get("family") != "hpo"
        }
        ps = sorted(per_model.values())
        metafunc.parametrize("family_pair", ps, ids=[f"{m}-{t}" for m, t in ps])


def _load_generator(path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.parent.name + "_make_data", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """One benchmark root with the GEO-Bench v1 fixture tree, a EuroSAT folder tree and the
    GEO-Bench-2 fixtures."""
    root = tmp_path_factory.mktemp("benchmarks")
    _load_generator(EO_DATA / "geobench" / "make_data.py").make_geobench(root)
    _load_generator(EO_DATA / "eurosat" / "make_data.py").make_eurosat(
        root
    )  # writes root/EuroSAT_MS
    for ds in (EO_DATA / "geobench2").iterdir():
        if ds.is_dir():
            (root / ds.name).symlink_to(ds)
    return root


@pytest.fixture
def cli_env(tmp_path):
    """Environment for driving the real CLIs in a subprocess with the synthetic toy suite."""
    env = dict(os.environ)
    env.update(
        GEOARENA_REGISTER_TOYS="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        GEOARENA_CACHE=str(tmp_path / "cache"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


@pytest.fixture
def run_cli():
    """``run_cli(args, env, cwd)`` runs tools/run_benchmark.py and returns the CompletedProcess."""

    def _run(
        args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(REPO / "tools" / "run_benchmark.py"), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return _run


def pytest_terminal_summary(terminalreporter):
    """Say how many (task, model) pairs the registry-wide contract run sent through ``run()``."""
    import sys

    mod = sys.modules.get("test_every_pair") or next(
        (m for n, m in sys.modules.items() if n.endswith("test_every_pair")), None
    )
    ran = getattr(mod, "RAN", [])
    if ran:
        ok = sum(status == "FINISHED" for _, _, status in ran)
        terminalreporter.write_line(
            f"registry contract run: {len(ran)} (task, model) pairs through run(), {ok} FINISHED"
        )
