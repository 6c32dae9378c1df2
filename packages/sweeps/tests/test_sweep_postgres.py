"""Sweeps on a real PostgreSQL server (127.0.0.1:5432, or $GEOARENA_TEST_PG): many worker
processes on one study, a worker killed mid-trial, and the errors a user gets for a wrong URL,
an unreachable server or a study name clash. Every test uses its own throwaway database."""

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


@pytest.fixture
def optuna_db():
    with throwaway_database() as url:
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
    workers = [
        subprocess.Popen(
            sweep_cmd(*common, "--worker-only", f"--worker-index={i}"),
            cwd=tmp_path,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(4)
    ]
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
    victim, survivor = (
        subprocess.Popen(
            sweep_cmd(*common, "--worker-only", f"--worker-index={i}"),
            cwd=tmp_path,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    )
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


# trial slots: the claim without a study-wide lock (geoarena.sweeps.rdb) ------------------------
def toy_handle(url: str, n_trials: int, **opts):
    """A worker's handle on study ``slots`` of ``url``: toy experiment, no sleeping, 2 epochs."""
    from geoarena.core.config import RunConfig, SweepConfig, TrainConfig
    from geoarena.sweeps.experiment import load_experiment
    from geoarena.sweeps.study import open_sweep

    base = RunConfig(
        task="toy/quadratic",
        model="toy/curve",
        train=TrainConfig(epochs=2),
        model_kwargs={"width": 8, "sleep_s": 0.0},
    )
    cfg = SweepConfig(
        study="slots",
        storage=url,
        n_trials=n_trials,
        metrics=("val/score",),
        directions=("maximize",),
        sampler="random",
        pruner="median",
    )
    return open_sweep(load_experiment(TOY), cfg, StorageOptions(**opts), base_cfg=base)


def slots_of(handle) -> int:
    from geoarena.sweeps.rdb import SLOTS_ATTR

    return handle.study._storage.get_study_system_attrs(handle.study._study_id)[SLOTS_ATTR]


def test_threads_claiming_slots_on_postgres_never_overshoot(optuna_db):
    import threading

    from geoarena.sweeps.rdb import TRIAL_SLOT_ATTR
    from geoarena.sweeps.worker import run_worker

    handles = [toy_handle(optuna_db, 20) for _ in range(4)]
    reports = [None] * 4

    def work(i: int) -> None:
        reports[i] = run_worker(handles[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    trials = handles[0].study.get_trials(deepcopy=False)
    assert len(trials) == 20 and sum(r.n_trials for r in reports) == 20
    assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    assert sorted(t.system_attrs[TRIAL_SLOT_ATTR] for t in trials) == list(range(1, 21))
    # every trial got its worker and first heartbeat in the claiming transaction
    assert {t.user_attrs["worker"] for t in trials} == {h.worker for h in handles}
    with handles[0].study._storage._backend.engine.connect() as conn:
        import sqlalchemy

        beats = conn.execute(sqlalchemy.text("SELECT count(*) FROM trial_heartbeats")).scalar()
    assert beats == 20 and slots_of(handles[0]) == 20
    for h in handles:
        h.close()


def test_a_claim_that_dies_before_commit_takes_no_slot(optuna_db):
    from sqlalchemy import event

    from geoarena.sweeps.worker import _slot_storage, claim_trial

    handle = toy_handle(optuna_db, 3)
    engine = _slot_storage(handle).engine

    def die(conn, cursor, statement, *args):
        # the worker is stopped after the claim statement ran (slot taken, trial inserted in the
        # transaction) and before the commit
        if statement.startswith("WITH slot AS"):
            raise KeyboardInterrupt

    event.listen(engine, "after_cursor_execute", die)
    with pytest.raises(KeyboardInterrupt):
        claim_trial(handle)
    event.remove(engine, "after_cursor_execute", die)
    assert slots_of(handle) == 0 and handle.study.get_trials(deepcopy=False) == []
    trial = claim_trial(handle)
    assert trial.number == 0 and slots_of(handle) == 1
    handle.close()


def test_failed_trials_give_their_slot_back_and_are_replaced(optuna_db):
    from geoarena.sweeps.objective import TrialObjective, TrialOutcome
    from geoarena.sweeps.worker import run_worker

    handle = toy_handle(optuna_db, 5)
    inner = TrialObjective(handle.experiment, handle.metrics, handle.directions, "slots")
    calls = []

    def objective(trial):
        calls.append(trial.number)
        if len(calls) in (2, 4):
            return TrialOutcome("FAIL", error="boom")
        return inner(trial)

    report = run_worker(handle, objective=objective)
    counts = Counter(t.state.name for t in handle.study.get_trials(deepcopy=False))
    assert counts["FAIL"] == 2 and counts["COMPLETE"] + counts["PRUNED"] == 5
    assert report.n_trials == 7 and slots_of(handle) == 5
    failed = [t for t in handle.study.get_trials(deepcopy=False) if t.state.name == "FAIL"]
    assert [t.user_attrs["error"] for t in failed] == ["boom", "boom"]
    handle.close()


@pytest.mark.parametrize("max_retries", [1, 0])
def test_a_worker_lost_after_its_claim_is_retried_or_replaced(optuna_db, max_retries):
    """A worker that claimed a trial and died (no more heartbeats): another worker fails it after
    the grace period; with retries the retry re-runs it in the same slot, without retries its
    slot is given back and a fresh trial replaces it. Either way the study ends with exactly
    ``n_trials`` finished trials and nothing RUNNING or WAITING."""
    from geoarena.sweeps.rdb import TRIAL_SLOT_ATTR
    from geoarena.sweeps.worker import claim_trial, run_worker

    lost = toy_handle(optuna_db, 4, heartbeat_s=1, grace_s=2, max_retries=max_retries)
    dead = claim_trial(lost)
    dead.suggest_float("train.lr", 1e-4, 1.0, log=True)
    dead.suggest_int("model_kwargs.width", 4, 64, log=True)
    lost.close()
    survivor = toy_handle(optuna_db, 4, heartbeat_s=1, grace_s=2, max_retries=max_retries)
    t0 = time.monotonic()
    report = run_worker(survivor, poll_s=0.2)
    assert time.monotonic() - t0 < 60
    trials = survivor.study.get_trials(deepcopy=False)
    counts = Counter(t.state.name for t in trials)
    assert counts["COMPLETE"] + counts["PRUNED"] == 4 and counts["FAIL"] == 1
    assert counts["RUNNING"] == counts["WAITING"] == 0 and slots_of(survivor) == 4
    assert trials[dead.number].state.name == "FAIL"
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == dead.number]
    if max_retries:
        assert len(retries) == 1 and retries[0].params == trials[dead.number].params
        assert retries[0].system_attrs[TRIAL_SLOT_ATTR] == 1  # the lost trial's slot
        assert report.n_trials == 4 and len(trials) == 5
    else:
        assert retries == [] and len(trials) == 5
        # slots 2-4 went to the survivor's first trials; the freed one went to the replacement
        assert sorted(t.system_attrs[TRIAL_SLOT_ATTR] for t in trials) == [1, 2, 3, 4, 4]
    survivor.close()


def test_queued_trials_run_once_without_taking_slots(optuna_db):
    """``allow_new=False`` (suite cells, retries only): workers pop the queued trials, each runs
    once, no fresh trial is created and no slot is taken; a cell that fails gives nothing back."""
    from geoarena.sweeps.objective import TrialObjective, TrialOutcome
    from geoarena.sweeps.rdb import TRIAL_SLOT_ATTR
    from geoarena.sweeps.worker import run_worker

    handles = [toy_handle(optuna_db, 3) for _ in range(2)]
    for lr in (1e-3, 1e-2, 1e-1):
        handles[0].study.enqueue_trial({"train.lr": lr, "model_kwargs.width": 16})
    inner = TrialObjective(handles[0].experiment, handles[0].metrics, handles[0].directions, "s")

    def objective(trial):
        if trial.number == 2:  # the third queued cell is broken
            return TrialOutcome("FAIL", error="broken cell")
        return inner(trial)

    reports = [run_worker(h, allow_new=False, objective=objective) for h in handles]
    trials = handles[0].study.get_trials(deepcopy=False)
    assert len(trials) == 3 and sum(r.n_trials for r in reports) == 3
    assert Counter(t.state.name for t in trials)["FAIL"] == 1
    assert all(TRIAL_SLOT_ATTR not in t.system_attrs for t in trials)
    assert all(t.user_attrs["worker"] == handles[0].worker for t in trials)  # the first ran all
    assert slots_of(handles[0]) == 0
    for h in handles:
        h.close()
