"""A benchmark suite run as a sweep: two worker processes share the cells of the synthetic
``test-toy`` suite through one PostgreSQL study, and every cell runs exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import optuna
import pytest

from geoarena.sweeps.storage import sqlalchemy_url
from geoarena.sweeps.testing import throwaway_database

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_two_workers_share_suite_cells_each_cell_once(tmp_path):
    env = dict(
        os.environ,
        GEOARENA_REGISTER_TOYS="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        GEOARENA_CACHE=str(tmp_path / "cache"),
    )
    env.pop("MLFLOW_TRACKING_URI", None)
    with throwaway_database() as storage:
        cmd = [
            sys.executable,
            str(REPO / "tools" / "sweep.py"),
            "--suite",
            "test-toy",
            "--study",
            "cells",
        ]
        cmd += ["--storage", storage, "--workers", "2", "--no-tracking"]
        out = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert out.returncode == 0, out.stdout + out.stderr
        study = optuna.load_study(study_name="cells", storage=sqlalchemy_url(storage))
        trials = study.get_trials()
        # test-toy: blobs x mlp x (finetune, linear_probe) x seeds 0-2, plus one broken cell
        assert study.user_attrs["geoarena.suite_cells"] == 7
        assert sorted(t.params["cell"] for t in trials) == list(range(7))  # each cell once
        states = Counter(t.state.name for t in trials)
        assert states == {"COMPLETE": 6, "FAIL": 1}
        (broken,) = [t for t in trials if t.state.name == "FAIL"]
        assert (
            broken.user_attrs["cell_name"].startswith("test/broken")
            and "not a GeoTIFF" in broken.user_attrs["error"]
        )
        for t in trials:
            if t.state.name == "COMPLETE":
                assert t.user_attrs["test"]["test/overall_accuracy"] > 0.5
                assert 0.5 < t.value <= 1.0  # the cell's val/overall_accuracy
        # rerunning the command finds nothing left to do: no cell is run twice
        again = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert again.returncode == 0, again.stderr
        assert (
            len(optuna.load_study(study_name="cells", storage=sqlalchemy_url(storage)).trials) == 7
        )
