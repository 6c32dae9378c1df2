"""Concurrent and killed suite runs on one store: every cell is trained exactly once, a killed
cell's run is closed as KILLED on the next start, and a resumed suite adds to the parent's time.

The concurrency check runs two real ``tools/run_benchmark.py`` processes on one SQLite store
three times (fresh store each time); claims are per-cell locks that die with their holder.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from geoarena.core.claims import CellClaims
from geoarena.store.mlflow_tracker import open_mlflow_client

REPO = Path(__file__).resolve().parents[1]
TOY_CELLS = 7  # 2 protocols × 3 seeds + the broken task (see geoarena.train.testing)


def _cmd(*extra: str) -> list[str]:
    return [sys.executable, str(REPO / "tools" / "run_benchmark.py"), "--suite", "test-toy", *extra]


def _runs(tmp_path: Path, experiment: str = "suite-test-toy"):
    client = open_mlflow_client(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], max_results=1000) if exp else []


def _cells(runs):
    return [r for r in runs if r.data.tags.get("suite_parent") != "true"]


def test_claims_exclude_each_other_and_free_on_release(tmp_path):
    claims = CellClaims(f"sqlite:///{tmp_path / 'mlflow.db'}")
    first = claims.try_claim("abc")
    assert first is not None and claims.try_claim("abc") is None and not claims.is_free("abc")
    assert claims.try_claim("other") is not None
    first.release()
    assert claims.is_free("abc")
    with claims.wait_claim("abc"):
        assert not claims.is_free("abc")


def test_a_dead_holders_claim_is_free(tmp_path):
    """kill -9 of the holder releases its claim at once (no lease timeout to wait for)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    code = (
        "import sys, time; from geoarena.core.claims import CellClaims; "
        f"c = CellClaims({uri!r}).try_claim('cell'); print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    claims = CellClaims(uri)
    assert not claims.is_free("cell")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert claims.is_free("cell")


def test_postgres_store_claims_are_advisory_locks_that_die_with_the_holder():
    """On a PostgreSQL MLflow store the claim is a session advisory lock on that database."""
    from geoarena.sweeps.testing import throwaway_database

    with throwaway_database("geoarena_test_claims") as url:
        uri = url.replace("postgresql://", "postgresql+psycopg2://", 1)
        claims = CellClaims(uri)
        first = claims.try_claim("abc")
        assert first is not None and claims.try_claim("abc") is None
        first.release()
        assert claims.is_free("abc")
        code = (
            "import time; from geoarena.core.claims import CellClaims; "
            f"c = CellClaims({uri!r}).try_claim('abc'); print('held', flush=True); time.sleep(60)"
        )
        holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        assert not claims.is_free("abc")
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        deadline = time.monotonic() + 60  # the server ends the dead session (seconds under load)
        while not claims.is_free("abc") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert claims.is_free("abc")


@pytest.mark.slow
@pytest.mark.parametrize("repetition", [1, 2, 3])
def test_two_concurrent_suite_runs_train_every_cell_once(tmp_path, cli_env, repetition):
    procs = [
        subprocess.Popen(
            _cmd("--out", f"results{k}", "--no-report"),
            cwd=tmp_path,
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 1, err[-2000:]  # the broken cell fails by design
        assert "Traceback" not in err
    cells = _cells(_runs(tmp_path))
    per_hash = Counter(r.data.tags["config_hash"] for r in cells)
    assert len(per_hash) == TOY_CELLS and set(per_hash.values()) == {1}, per_hash
    assert Counter(r.info.status for r in cells) == {"FINISHED": 6, "FAILED": 1}
    parents = [r for r in _runs(tmp_path) if r.data.tags.get("suite_parent") == "true"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"


@pytest.mark.slow
def test_kill9_then_rerun_leaves_no_running_run_and_adds_elapsed_time(tmp_path, cli_env):
    env = dict(cli_env, GEOARENA_TOY_SLEEP_S="1.0")
    first = subprocess.Popen(
        _cmd("--no-report"), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # kill it while a cell is running
        if (tmp_path / "mlflow.db").exists() and any(
            r.info.status == "RUNNING" for r in _cells(_runs(tmp_path))
        ):
            break
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    running = [r.info.run_id for r in _cells(_runs(tmp_path)) if r.info.status == "RUNNING"]
    assert running, "the kill should leave a RUNNING cell run behind"
    second = subprocess.run(
        _cmd("--no-report"), cwd=tmp_path, env=cli_env, capture_output=True, text=True, timeout=600
    )
    assert second.returncode == 1, second.stderr[-2000:]
    runs = _runs(tmp_path)
    assert [r for r in runs if r.info.status == "RUNNING"] == []
    killed = {r.info.run_id: r for r in runs if r.info.status == "KILLED"}
    assert set(running) <= set(killed)
    assert killed[running[0]].data.tags["error"] == "the process running this cell died"
    parent = next(r for r in runs if r.data.tags.get("suite_parent") == "true")
    before = parent.data.metrics["suite/elapsed_s"]
    third = subprocess.run(  # everything resumes: this session only adds its own time
        _cmd("--no-report"), cwd=tmp_path, env=cli_env, capture_output=True, text=True, timeout=600
    )
    assert third.returncode == 1
    parent = next(r for r in _runs(tmp_path) if r.data.tags.get("suite_parent") == "true")
    session = parent.data.metrics["suite/session_elapsed_s"]
    assert parent.data.metrics["suite/elapsed_s"] == pytest.approx(before + session)
    assert parent.info.status == "FINISHED"
