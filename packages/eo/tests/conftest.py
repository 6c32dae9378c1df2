"""Shared fixtures of geoarena-eo tests: tiny data written by the committed generator scripts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def load_generator(name: str):
    """Import ``tests/data/<name>/make_data.py`` as a module (tests folders are not packages)."""
    path = DATA / name / "make_data.py"
    spec = importlib.util.spec_from_file_location(f"eo_make_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def scene_files(tmp_path_factory) -> dict[str, Path]:
    return load_generator("scene").make_scene(tmp_path_factory.mktemp("scene"))
