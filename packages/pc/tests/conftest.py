"""Fixtures: tiny point clouds written by the committed generator ``data/make_data.py``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def _generator():
    spec = importlib.util.spec_from_file_location(
        "pc_make_data", Path(__file__).parent / "data" / "make_data.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def make_data():
    return _generator()


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory, make_data) -> dict[str, Path]:
    return make_data.write_all(tmp_path_factory.mktemp("pc_fixtures"))
