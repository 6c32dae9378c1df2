from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

# before any test module imports ultralytics: offline switches and a private, font-seeded
# config dir (ultralytics probes the network and reads its settings at import time)
if "ultralytics" not in __import__("sys").modules and "YOLO_CONFIG_DIR" not in os.environ:
    import atexit
    import shutil

    from geoarena.det.yolo_offline import ensure_offline

    # made at import, before pytest's own temporary folders exist: removed when pytest exits
    _config_root = tempfile.mkdtemp(prefix="geoarena-det-tests-")
    atexit.register(shutil.rmtree, _config_root, ignore_errors=True)
    ensure_offline(Path(_config_root) / "yolo_config")


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
