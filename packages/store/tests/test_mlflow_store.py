"""Several processes opening one fresh SQLite MLflow store at once (suite/sweep workers)."""

from __future__ import annotations

import subprocess
import sys
import time

WORKER = r"""
import sys, time
start = float(sys.argv[2])
from geoarena.store.mlflow_tracker import MLflowTracker
while time.time() < start:  # all workers touch the fresh store at the same moment
    time.sleep(0.005)
t = MLflowTracker("concurrent", tracking_uri=f"sqlite:///{sys.argv[1]}")
run = t.start_run("w", tags={"worker": sys.argv[3]})
t.end_run(run, "FINISHED")
"""


def test_workers_opening_a_fresh_sqlite_store_at_once_all_succeed(tmp_path):
    db = tmp_path / "mlflow.db"
    start = time.time() + 8.0  # after every interpreter has imported mlflow
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), str(start), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    from geoarena.store.mlflow_tracker import open_mlflow_client

    client = open_mlflow_client(f"sqlite:///{db}")
    exp = client.get_experiment_by_name("concurrent")
    runs = client.search_runs([exp.experiment_id])
    assert sorted(r.data.tags["worker"] for r in runs) == ["0", "1", "2"]
    assert {r.info.status for r in runs} == {"FINISHED"}
