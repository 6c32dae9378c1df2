"""Sweeps on a real PostgreSQL server (127.0.0.1:5432, or $GEOARENA_TEST_PG), driven as worker
processes of ``tools/sweep.py``: many workers on one study, a worker killed mid-trial, and the
errors a user gets for a wrong URL, an unreachable server or a study name clash. Every test uses
its own throwaway database (``optuna_db`` of conftest.py); the trial-slot claim itself is tested
in test_sweep_postgres_slots.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest

from geoarena.sweeps.storage import StorageError, StorageOptions, open_storage, sqlalchemy_url
from geoarena.sweeps.testing import throwaway_database

REPO = Path(__file__).resolve().parents[3]
SWEEP = REPO / "tools" / "sweep.py"
TOY = REPO / "experiments" / "toy_quadratic.py"


@pytest.fixture(scope="module")
def mlflow_db():
    """One MLflow PostgreSQL store for the module (creating MLflow's schema takes ~20 s);
    tests separate themselves by MLflow experiment name."""
    from geoarena.store.mlflow_tracker import MLflowTracker

    with throwaway_database("geoarena_test_mlflow") as url:
        MLflowTracker("init", tracking_uri=sqlalchemy_url(url))
        yield url


def env() -> dict[str, str]:
    e = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", PYTHONUNBUFFERED="1")
    e.pop("MLFLOW_TRACKING_URI", None)
    return e


def sweep_cmd(*args: str) -> list[str]:
    return [sys.executable, str(SWEEP), str(TOY), *args]


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)


def mlflow_runs(uri: str, experiment: str) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(sqlalchemy_url(uri))
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], max_results=10000)


@pytest.mark.slow
def start_worker(common: tuple[str, ...] | list[str], index: int, cwd) -> subprocess.Popen:
    """One ``tools/sweep.py --worker-only`` process of the study in ``common``, output piped."""
    return subprocess.Popen(
        sweep_cmd(*common, "--worker-only", f"--worker-index={index}"),
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_four_workers_finish_exactly_100_trials_under_one_mlflow_parent(
    optuna_db, mlflow_db, tmp_path
):
    common = [
        "--study",
        "four",
        "--storage",
        optuna_db,
        "--n-trials",
        "100",
        "--tracking-uri",
        mlflow_db,
    ]
    common += [
        "--mlflow-experiment",
        "four",
        "--final-seeds",
        "",
        "--set",
        "model_kwargs.sleep_s=0",
        "--set",
        "train.epochs=2",
    ]
    created = run(sweep_cmd(*common, "--create-only"), tmp_path)
    assert created.returncode == 0, created.stderr
    workers = [start_worker(common, i, tmp_path) for i in range(4)]
    outputs = [w.communicate(timeout=400)[0] for w in workers]
    assert [w.returncode for w in workers] == [0] * 4, outputs

    study = optuna.load_study(study_name="four", storage=sqlalchemy_url(optuna_db))
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 100
    assert Counter(t.state.name for t in trials).keys() <= {"COMPLETE", "PRUNED"}
    assert sorted(t.number for t in trials) == list(range(100))
    assert len({t._trial_id for t in trials}) == 100
    by_worker = Counter(t.user_attrs["worker"] for t in trials)
    assert len(by_worker) == 4 and min(by_worker.values()) >= 5, by_worker  # the work was shared

    parent = study.user_attrs["mlflow.parent_run_id"]
    runs = mlflow_runs(mlflow_db, "four")
    children = [
        r
        for r in runs
        if r.data.tags.get("optuna.study") == "four" and r.data.tags.get("sweep.stage") == "search"
    ]
    assert len(children) == 100
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent}
    assert sorted(int(r.data.tags["optuna.trial"]) for r in children) == list(range(100))
    states = {t.number: t.state.name for t in trials}
    for r in children:
        n = int(r.data.tags["optuna.trial"])
        assert r.data.tags["optuna.state"] == states[n]
        assert r.info.status == {"COMPLETE": "FINISHED", "PRUNED": "KILLED"}[states[n]]
        assert study.trials[n].user_attrs["mlflow_run_id"] == r.info.run_id


@pytest.mark.slow
def test_sigkill_mid_trial_fails_by_heartbeat_and_the_retry_completes(
    optuna_db, mlflow_db, tmp_path
):
    common = [
        "--study",
        "kill",
        "--storage",
        optuna_db,
        "--n-trials",
        "6",
        "--tracking-uri",
        mlflow_db,
    ]
    common += ["--mlflow-experiment", "kill", "--final-seeds", "", "--pruner", "none"]
    common += ["--heartbeat", "1", "--grace", "3", "--set", "model_kwargs.sleep_s=0.4"]
    assert run(sweep_cmd(*common, "--create-only"), tmp_path).returncode == 0
    victim, survivor = (start_worker(common, i, tmp_path) for i in range(2))
    storage = sqlalchemy_url(optuna_db)
    killed_number = None
    deadline = time.monotonic() + 90
    while killed_number is None and time.monotonic() < deadline:
        study = optuna.load_study(study_name="kill", storage=storage)
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            # mid-trial: the victim's trial has started its MLflow run and reported an epoch
            if (
                t.user_attrs.get("worker", "").endswith(f":{victim.pid}")
                and "mlflow_run_id" in t.user_attrs
            ):
                os.kill(victim.pid, signal.SIGKILL)
                killed_number = t.number
                break
        time.sleep(0.2)
    assert killed_number is not None, "the victim never ran a trial"
    victim.wait(timeout=10)
    assert victim.returncode == -signal.SIGKILL
    out = survivor.communicate(timeout=150)[0]
    assert survivor.returncode == 0, out

    study = optuna.load_study(study_name="kill", storage=storage)
    trials = study.get_trials()
    states = Counter(t.state.name for t in trials)
    assert states["COMPLETE"] == 6 and states["RUNNING"] == 0 and states["WAITING"] == 0
    killed = trials[killed_number]
    assert killed.state.name == "FAIL"
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed_number]
    assert len(retries) == 1 and retries[0].state.name == "COMPLETE"
    assert retries[0].params == killed.params  # the retry re-runs the same configuration
    # MLflow: the lost trial's run is closed FAILED by the worker that failed it, not left RUNNING
    runs = {r.info.run_id: r for r in mlflow_runs(mlflow_db, "kill")}
    lost = runs[killed.user_attrs["mlflow_run_id"]]
    assert lost.info.status == "FAILED" and lost.data.tags["optuna.state"] == "FAIL"
    assert "heartbeat" in lost.data.tags["error"]
    assert not [
        r
        for r in runs.values()
        if r.info.status == "RUNNING" and r.data.tags.get("sweep.role") != "parent"
    ]


def test_unreachable_server_is_a_clear_error_within_the_connect_timeout():
    t0 = time.monotonic()
    with pytest.raises(
        StorageError,
        match=r"cannot connect to sweep storage postgresql://postgres@127\.0\.0\.1:1/x",
    ):
        open_storage("postgresql://postgres@127.0.0.1:1/x", StorageOptions(connect_timeout_s=2))
    # a routable-but-silent address would hang forever without connect_timeout
    with pytest.raises(StorageError, match="gave up after 1 s"):
        open_storage(
            "postgresql://postgres@10.255.255.1:5432/x", StorageOptions(connect_timeout_s=1)
        )
    assert time.monotonic() - t0 < 15


def test_missing_database_and_password_are_reported_without_leaking_the_password():
    with pytest.raises(StorageError, match="createdb") as err:
        open_storage("postgresql://postgres:s3cret@127.0.0.1:5432/geoarena_no_such_db_here")
    assert "s3cret" not in str(err.value) and "postgres:***@" in str(err.value)


def test_cli_errors_exit_2_with_a_message(optuna_db, tmp_path):
    bad = run(
        sweep_cmd("--study", "x", "--storage", "mysql+nodriver://h/db", "--no-tracking"),
        tmp_path,
        timeout=60,
    )
    assert (
        bad.returncode == 2
        and "unsupported sweep storage" in bad.stderr
        and "Traceback" not in bad.stderr
    )
    ok = run(
        sweep_cmd("--study", "same", "--storage", optuna_db, "--no-tracking", "--create-only"),
        tmp_path,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    clash = run(
        sweep_cmd(
            "--study",
            "same",
            "--storage",
            optuna_db,
            "--no-tracking",
            "--metric",
            "params",
            "--direction",
            "minimize",
            "--create-only",
        ),
        tmp_path,
        timeout=60,
    )
    assert clash.returncode == 2 and "name clash" in clash.stderr, clash.stderr
    new = run(
        sweep_cmd(
            "--study",
            "same",
            "--storage",
            optuna_db,
            "--no-tracking",
            "--new-study",
            "--create-only",
        ),
        tmp_path,
        timeout=60,
    )
    assert new.returncode == 2 and "already exists" in new.stderr


def test_storage_has_heartbeat_retry_and_a_sized_pool(optuna_db):
    storage = open_storage(
        optuna_db,
        StorageOptions(heartbeat_s=2, grace_s=5, max_retries=4, pool_size=3, max_overflow=1),
    )
    assert storage.get_heartbeat_interval() == 2 and storage.grace_period == 5
    assert storage.get_heartbeat_stale_trial_callback().retry._max_retry == 4
    pool = storage.engine.pool
    assert pool.size() == 3 and pool._max_overflow == 1 and pool._pre_ping
    assert storage.engine.url.drivername == "postgresql+psycopg2"
