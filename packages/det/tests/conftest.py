from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def _load_make_data():
    spec = importlib.util.spec_from_file_location(
        "det_make_data", Path(__file__).parent / "data" / "make_data.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def make_data():
    return _load_make_data()


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory, make_data) -> Path:
    """Tiny label/image files in every supported format (see data/make_data.py)."""
    return make_data.write(tmp_path_factory.mktemp("det_fixtures"))
