"""Cell claims on a real MLflow tracking server (several machines, no shared lock): exactly one
of many concurrent claimants wins, a live holder's heartbeat keeps its claim, a dead holder's
claim expires after its time-to-live, and two run_benchmark.py processes on the server train
every cell once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from geoarena.store.claims_server import ServerClaims
from geoarena.store.mlflow_tracker import MLflowTracker

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow_server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("mlflow")),
            "server",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--backend-store-uri=sqlite:///{folder / 'mlflow.db'}",
            f"--artifacts-destination={(folder / 'artifacts').as_uri()}",
            "--workers=1",
        ],
        env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 480  # ~20 s idle; minutes on a loaded 2-core machine
    while time.monotonic() < deadline:
        assert proc.poll() is None, "mlflow server exited"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            time.sleep(1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.mark.slow
def test_one_of_many_concurrent_claimants_wins(server):
    won: list[object] = []
    barrier = threading.Barrier(6)

    def claimant():
        claims = ServerClaims(server)
        barrier.wait()
        claim = claims.try_claim("cell-a")
        if claim is not None:
            won.append(claim)

    threads = [threading.Thread(target=claimant) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(won) == 1
    # the tracker hands out its store's claims: a server's are ServerClaims
    other = MLflowTracker(experiment="claims-check", tracking_uri=server).cell_claims()
    assert isinstance(other, ServerClaims)
    assert not other.is_free("cell-a") and other.try_claim("cell-a") is None
    won[0].release()
    assert other.is_free("cell-a")
    again = other.try_claim("cell-a")
    assert again is not None
    again.release()


@pytest.mark.slow
def test_heartbeat_keeps_a_claim_and_a_dead_holders_claim_expires(server):
    live = ServerClaims(server, beat_s=0.3).try_claim("cell-b")
    dead = ServerClaims(server, beat_s=None).try_claim("cell-c")  # a holder that stopped beating
    taker = ServerClaims(server, ttl_s=2.0)
    assert live is not None and dead is not None
    assert taker.try_claim("cell-b") is None and taker.try_claim("cell-c") is None
    time.sleep(3.0)
    assert taker.try_claim("cell-b") is None  # its heartbeat kept it alive
    took = taker.try_claim("cell-c")  # expired: taken over
    assert took is not None
    live.release()
    took.release()


@pytest.mark.slow
def test_two_suite_runs_on_one_server_train_every_cell_once(server, tmp_path, cli_env):
    env = dict(cli_env, MLFLOW_TRACKING_URI=server)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(REPO / "tools" / "run_benchmark.py"),
                "--suite",
                "test-toy",
                "--experiment",
                "suite-server-claims",
                "--no-report",
                "--out",
                f"results{k}",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=900)
        assert p.returncode == 1 and "Traceback" not in err, err[-2000:]  # one cell fails
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server)
    exp = client.get_experiment_by_name("suite-server-claims")
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    cells = [r for r in runs if r.data.tags.get("suite_parent") != "true"]
    per_hash = Counter(r.data.tags["config_hash"] for r in cells)
    assert len(per_hash) == 7 and set(per_hash.values()) == {1}, per_hash
