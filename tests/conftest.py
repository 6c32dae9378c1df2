"""Shared fixtures for the cross-package tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
