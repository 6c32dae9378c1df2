"""The real ``tools/run_benchmark.py`` on the synthetic toy suite: MLflow layout, results table,
failure isolation, resume after SIGKILL, and the MLflow server's REST API over the store."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from geoarena.results.table import SUBMISSION_COLUMNS
from geoarena.store.mlflow_tracker import open_mlflow_client

REPO = Path(__file__).resolve().parents[1]


def _runs(tmp_path):
    # opened like the harness opens it: polling a store another process is still creating
    # must not run MLflow's schema migration at the same time
    client = open_mlflow_client(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.get_experiment_by_name("suite-test-toy")
    return client.search_runs([exp.experiment_id], max_results=1000)


def test_suite_run_layout_and_failure_isolation(tmp_path, cli_env, run_cli):
    proc = run_cli(["--suite", "test-toy", "--out", "results"], cli_env, tmp_path)
    assert proc.returncode == 1, proc.stderr[-3000:]  # one cell fails by design → non-zero exit
    runs = _runs(tmp_path)
    parents = [r for r in runs if r.data.tags.get("suite_parent") == "true"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    finished = [r for r in children if r.info.status == "FINISHED"]
    failed = [r for r in children if r.info.status == "FAILED"]
    assert len(finished) == 6 and len(failed) == 1  # 2 protocols × 3 seeds, and the broken task
    assert failed[0].data.tags["error"] == "DataError: toy.tif: corrupt raster: not a GeoTIFF"
    assert {r.data.tags["seed"] for r in finished} == {"0", "1", "2"}
    assert all("test/overall_accuracy" in r.data.metrics for r in finished)
    df = pd.read_csv(tmp_path / "results" / "test-toy" / "results.csv")
    assert list(df.columns[: len(SUBMISSION_COLUMNS)]) == list(SUBMISSION_COLUMNS)
    assert len(df) == 6 and set(df["mlflow_run_id"]) == {r.info.run_id for r in finished}
    html = (tmp_path / "results" / "test-toy" / "report.html").read_text()
    assert "data:image/png;base64" in html
    assert "cell(s) did not finish" in proc.stdout


def test_unknown_task_is_a_clear_error(tmp_path, cli_env, run_cli):
    proc = run_cli(["--suite", "test-toy", "--tasks", "test/nope"], cli_env, tmp_path)
    assert proc.returncode == 2
    assert "unknown task 'test/nope'" in proc.stderr


def test_malformed_override_is_a_clear_error(tmp_path, cli_env, run_cli):
    proc = run_cli(["--suite", "test-toy", "--set", "train.lrr=1"], cli_env, tmp_path)
    assert proc.returncode == 2 and "unknown config key 'train.lrr'" in proc.stderr


@pytest.mark.slow
def test_killed_suite_resumes_without_repeating_cells(tmp_path, cli_env, run_cli):
    env = dict(cli_env, GEOARENA_TOY_SLEEP_S="0.7")
    log = tmp_path / "first_call.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "tools" / "run_benchmark.py"),
                "--suite",
                "test-toy",
                "--tasks",
                "test/blobs",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 600  # plugin imports alone take minutes on a loaded machine
        done_before: set[str] = set()
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.3)
            if (tmp_path / "mlflow.db").exists():
                try:
                    done_before = {
                        r.info.run_id
                        for r in _runs(tmp_path)
                        if r.info.status == "FINISHED" and "config_hash" in r.data.tags
                    }
                except Exception:  # the store may still be being created: poll again
                    continue
                if len(done_before) >= 2:
                    break
        exited = proc.poll()
        proc.kill()
        proc.wait()
    assert exited is None, (
        f"the first call exited ({exited}) before it could be killed:\n{log.read_text()[-3000:]}"
    )
    assert 2 <= len(done_before) < 6, "the suite must be killed mid-way"
    again = run_cli(["--suite", "test-toy", "--tasks", "test/blobs"], cli_env, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    runs = _runs(tmp_path)
    cells = [r for r in runs if "config_hash" in r.data.tags]
    finished = [r for r in cells if r.info.status == "FINISHED"]
    hashes = [r.data.tags["config_hash"] for r in finished]
    assert len(hashes) == 6 and len(set(hashes)) == 6  # every cell once, none repeated
    assert done_before <= {r.info.run_id for r in finished}  # earlier results kept, not redone
    assert f"({len(done_before)} resumed)" in again.stdout
    parents = [r for r in runs if r.data.tags.get("suite_parent") == "true"]
    assert (
        len(parents) == 1 and parents[0].info.status == "FINISHED"
    )  # the killed parent was re-opened
    assert {r.data.tags["mlflow.parentRunId"] for r in finished} == {parents[0].info.run_id}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_mlflow_server_serves_the_suite(tmp_path, cli_env, run_cli):
    run_cli(
        ["--suite", "test-toy", "--tasks", "test/blobs", "--protocols", "finetune", "--no-report"],
        cli_env,
        tmp_path,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'mlflow.db'}",
            "--workers",
            "1",
        ],
        cwd=tmp_path,
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise AssertionError("mlflow server did not come up") from None
                time.sleep(0.5)

        def post(path, body):
            req = urllib.request.Request(
                f"{base}/{path}",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            return json.load(urllib.request.urlopen(req, timeout=30))

        exp = json.load(
            urllib.request.urlopen(
                f"{base}/experiments/get-by-name?experiment_name=suite-test-toy", timeout=30
            )
        )
        exp_id = exp["experiment"]["experiment_id"]
        found = post(
            "runs/search", {"experiment_ids": [exp_id], "filter": "tags.suite_parent = 'true'"}
        )["runs"]
        assert len(found) == 1
        parent_id = found[0]["info"]["run_id"]
        kids = post(
            "runs/search",
            {"experiment_ids": [exp_id], "filter": f"tags.`mlflow.parentRunId` = '{parent_id}'"},
        )["runs"]
        assert len(kids) == 3 and all(k["info"]["status"] == "FINISHED" for k in kids)
        keys = {m["key"] for m in kids[0]["data"]["metrics"]}
        assert {"test/overall_accuracy", "val/overall_accuracy", "train/loss"} <= keys
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
