"""MLflow server mode for real: ``mlflow server`` on 127.0.0.1 with a PostgreSQL backend store
(its own throwaway database), two sweep workers on a PostgreSQL study logging through
``--tracking-uri http://127.0.0.1:<port>``, then the final seed runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

from geoarena.sweeps.storage import sqlalchemy_url
from geoarena.sweeps.testing import throwaway_database

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "mlflow server exited"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"mlflow server at {url} not healthy after {timeout} s")


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    with throwaway_database("geoarena_test_mlsrv") as backend:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("mlflow")),
                "server",
                "--host=127.0.0.1",
                f"--port={port}",
                f"--backend-store-uri={sqlalchemy_url(backend)}",
                f"--artifacts-destination={(tmp_path / 'artifacts').as_uri()}",
                "--workers=1",
            ],
            env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, timeout=480)  # ~20 s idle; minutes on a loaded 2-core box
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_sweep_logs_to_an_mlflow_server_with_postgres_backend(mlflow_server, tmp_path):
    from mlflow.tracking import MlflowClient

    with throwaway_database() as storage:
        cmd = [
            sys.executable,
            str(REPO / "tools" / "sweep.py"),
            str(REPO / "experiments" / "toy_quadratic.py"),
        ]
        cmd += ["--study", "srv", "--storage", storage, "--n-trials", "8", "--workers", "2"]
        cmd += [
            "--tracking-uri",
            mlflow_server,
            "--final-seeds",
            "0,1,2",
            "--set",
            "model_kwargs.sleep_s=0.01",
        ]
        out = subprocess.run(
            cmd,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=400,
            env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true"),
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert "test/score" in out.stdout and "CI low" in out.stdout  # the final report is printed
        study = optuna.load_study(study_name="srv", storage=sqlalchemy_url(storage))
        assert len([t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]) == 8
        parent = study.user_attrs["mlflow.parent_run_id"]
        assert study.user_attrs["mlflow.tracking_uri"] == mlflow_server

    client = MlflowClient(mlflow_server)
    exp = client.get_experiment_by_name("toy_quadratic")
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent]
    search = [r for r in children if r.data.tags.get("sweep.stage") == "search"]
    final = [r for r in children if r.data.tags.get("sweep.stage") == "final"]
    assert len(search) == 8 and len(final) == 3
    assert sorted(r.data.tags["seed"] for r in final) == ["0", "1", "2"]
    assert len({r.data.tags["optuna.trial"] for r in search}) == 8
    parent_run = client.get_run(parent)
    assert parent_run.info.status == "FINISHED"
    assert "final/test/score" in parent_run.data.metrics
    report = client.download_artifacts(parent, "final_report.md", str(tmp_path))
    assert "test/score" in Path(report).read_text()
