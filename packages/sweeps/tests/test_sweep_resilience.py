"""tools/sweep.py under a lost worker and with secret URLs.

* ``kill -9`` of one of ``--workers 2``: the launcher still runs the final stage and the MLflow
  parent run ends FINISHED (the killed worker's trial is failed by heartbeat and retried).
* A storage URL with a password, given through ``$GEOARENA_SWEEP_STORAGE_FILE``: the password
  is in no stdout/stderr line, no MLflow param/tag, no Optuna study attr and no process's
  command line while the sweep runs.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import psutil
import pytest

from geoarena.store.mlflow_tracker import open_mlflow_client
from geoarena.sweeps.storage import sqlalchemy_url

REPO = Path(__file__).resolve().parents[3]
SWEEP = REPO / "tools" / "sweep.py"
TOY = REPO / "experiments" / "toy_quadratic.py"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", PYTHONUNBUFFERED="1", **extra)
    for k in ("MLFLOW_TRACKING_URI", "GEOARENA_SWEEP_STORAGE", "GEOARENA_SWEEP_STORAGE_FILE"):
        if k not in extra:
            env.pop(k, None)
    return env


def _parent(tracking: str, experiment: str):
    client = open_mlflow_client(tracking)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("sweep.role") == "parent"]
    assert len(parents) == 1
    return client, runs, parents[0]


@pytest.mark.slow
def test_killed_worker_does_not_stop_the_final_stage(tmp_path):
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cmd = [sys.executable, str(SWEEP), str(TOY), "--study", "lost", "--n-trials", "6"]
    cmd += ["--storage", f"sqlite:///{tmp_path / 'optuna.db'}", "--tracking-uri", tracking]
    cmd += ["--workers", "2", "--heartbeat", "1", "--grace", "3", "--final-seeds", "0,1"]
    cmd += ["--set", "model_kwargs.sleep_s=0.5"]
    launcher = subprocess.Popen(
        cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc = psutil.Process(launcher.pid)
    deadline = time.monotonic() + 120
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and len(workers) < 2:
        workers = [c for c in proc.children() if "--worker-only" in " ".join(c.cmdline())]
        time.sleep(0.2)
    assert len(workers) == 2, "the launcher never started two workers"
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'optuna.db'}")
    while time.monotonic() < deadline:  # kill a worker in the middle of a trial
        try:
            trials = optuna.load_study(study_name="lost", storage=storage).trials
        except KeyError:
            trials = []
        if any(t.state == optuna.trial.TrialState.RUNNING for t in trials):
            break
        time.sleep(0.2)
    os.kill(workers[0].pid, signal.SIGKILL)
    out, err = launcher.communicate(timeout=300)
    assert launcher.returncode == 0, err[-2000:]
    assert "warning: worker exit codes" in err and "Traceback" not in err
    assert "MLflow runs: seed 0:" in out  # the final stage ran
    _, runs, parent = _parent(tracking, "toy_quadratic")
    assert parent.info.status == "FINISHED"
    finals = [r for r in runs if r.data.tags.get("sweep.stage") == "final"]
    assert len(finals) == 2 and all(r.info.status == "FINISHED" for r in finals)
    states = [t.state for t in optuna.load_study(study_name="lost", storage=storage).trials]
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    assert sum(s in finished for s in states) >= 6


@pytest.mark.slow
def test_password_never_leaves_the_secret_file(tmp_path):
    from geoarena.sweeps.testing import _connect, admin_url, throwaway_database

    password = "pw-" + secrets.token_hex(8)
    role = "geoarena_secret_" + secrets.token_hex(3)
    conn = _connect(admin_url())
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' SUPERUSER")
    try:
        with throwaway_database() as url:
            _sweep_with_secret(tmp_path, url, role, password)
    finally:  # the database (owned objects) is dropped first, then the role
        with conn.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {role}")
        conn.close()


def _sweep_with_secret(tmp_path: Path, url: str, role: str, password: str) -> None:
    host_db = url.split("@", 1)[1]
    storage = f"postgresql://{role}:{password}@{host_db}"
    secret = tmp_path / "storage.url"
    secret.write_text(storage + "\n")
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cmd = [sys.executable, str(SWEEP), str(TOY), "--study", "secret", "--n-trials", "4"]
    cmd += ["--tracking-uri", tracking, "--workers", "2", "--final-seeds", "0"]
    cmd += ["--set", "model_kwargs.sleep_s=0.2"]
    env = _env(GEOARENA_SWEEP_STORAGE_FILE=str(secret))
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    seen_in_ps = []
    while proc.poll() is None:
        for p in psutil.process_iter(["cmdline"]):
            if password in " ".join(p.info["cmdline"] or ()):
                seen_in_ps.append(p.info["cmdline"])
        time.sleep(0.3)
    out, err = (b.decode() for b in proc.communicate())
    assert proc.returncode == 0, err[-2000:]
    assert password not in out and password not in err and seen_in_ps == []
    _, runs, parent = _parent(tracking, "toy_quadratic")
    for r in runs:
        logged = {**r.data.params, **r.data.tags}
        assert not [k for k, v in logged.items() if password in str(v)], r.info.run_id
    assert parent.data.tags["optuna.storage"] == storage.replace(password, "***")
    study = optuna.load_study(study_name="secret", storage=sqlalchemy_url(storage))
    assert password not in repr(study.user_attrs) and study.user_attrs
    for t in study.trials:
        assert password not in repr(t.user_attrs) + repr(t.system_attrs)
    # a password-bearing URL in an error message is masked too
    bad = subprocess.run(
        [sys.executable, str(SWEEP), str(TOY), "--study", "x", "--no-tracking"],
        cwd=tmp_path,
        env=_env(GEOARENA_SWEEP_STORAGE=storage.rsplit("/", 1)[0] + "/no_such_db"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and password not in bad.stderr
    assert bad.stderr.count("\n") == 1 and "no_such_db" in bad.stderr
