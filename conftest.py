"""Repository-wide pytest hooks: tests marked ``cuda`` are deselected (not skipped) on a
machine without a CUDA device; ``benchmarks/gpu_check.sh`` runs them where there is one. The
code under test makes its temporary folders under pytest's base folder."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_collection_modifyitems(config, items):
    if not any(item.get_closest_marker("cuda") for item in items):
        return
    import torch

    if torch.cuda.is_available():
        return
    keep = [i for i in items if i.get_closest_marker("cuda") is None]
    dropped = [i for i in items if i.get_closest_marker("cuda") is not None]
    config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.fixture(autouse=True, scope="session")
def _temporary_folders_under_pytest(tmp_path_factory):
    """Temporary folders that the code under test makes with :mod:`tempfile` (YOLO run folders,
    serving configs, checkpoints left by processes a test kills) go under pytest's own base
    folder, which pytest prunes to the last runs, instead of piling up in the system temp folder
    run after run; ``TMPDIR`` carries the same folder to the processes tests start."""
    folder = str(tmp_path_factory.mktemp("tempfile"))
    before, before_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = folder, folder
    yield
    tempfile.tempdir = before
    if before_env is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before_env
