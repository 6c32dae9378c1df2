"""A real password in the MLflow tracking URL (PostgreSQL store, URL from a secret file) never
shows: not in run_benchmark.py's or report.py's output or errors, not in any MLflow param or
tag, not on any process's command line while the suite runs."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_tracking_password_never_shows(tmp_path, cli_env):
    from geoarena.sweeps.testing import _connect, admin_url, throwaway_database

    password = "pw-" + secrets.token_hex(8)
    role = "geoarena_secret_" + secrets.token_hex(3)
    conn = _connect(admin_url())
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' SUPERUSER")
    try:
        with throwaway_database("geoarena_test_secret") as url:
            uri = f"postgresql+psycopg2://{role}:{password}@{url.split('@', 1)[1]}"
            _suite_and_report(tmp_path, cli_env, uri, password)
    finally:  # the database goes first (its objects belong to the role), then the role
        with conn.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {role}")
        conn.close()


def _suite_and_report(tmp_path: Path, cli_env: dict[str, str], uri: str, password: str) -> None:
    secret = tmp_path / "tracking.url"
    secret.write_text(uri + "\n")
    env = dict(cli_env, MLFLOW_TRACKING_URI_FILE=str(secret))
    tool = [sys.executable, str(REPO / "tools" / "run_benchmark.py"), "--suite", "test-toy"]
    proc = subprocess.Popen(
        [*tool, "--no-report", "--seeds", "0", "--protocols", "finetune"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    in_ps = []
    while proc.poll() is None:
        for p in psutil.process_iter(["cmdline"]):
            if password in " ".join(p.info["cmdline"] or ()):
                in_ps.append(p.info["cmdline"])
        time.sleep(0.3)
    out, err = proc.communicate()
    assert proc.returncode == 1, err[-2000:]  # the broken toy cell fails by design
    assert password not in out + err and in_ps == []
    assert "***@" in out  # the URI is shown, masked
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("suite-test-toy")
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    assert len(runs) >= 3
    for r in runs:
        logged = {**r.data.params, **r.data.tags}
        assert not [k for k, v in logged.items() if password in str(v)], r.info.run_id
    # report.py: a failure that names the store masks it too
    bad = subprocess.run(
        [sys.executable, str(REPO / "tools" / "report.py"), "--suite", "nope", "--out", "rep"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "no cells of suite 'nope'" in bad.stderr
    assert password not in bad.stdout + bad.stderr and "***@" in bad.stderr
