"""``run_benchmark.py --register`` on real default-suite cells (the SpaceNet random-forest
baseline, two seeds): the better-validating cell becomes ``@champion`` and ``predict.py`` serves
it on the scene (slow: trains two cells in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import rasterio

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_register_names_the_best_validation_cell_champion(tmp_path):
    from geoarena.core.task import default_cache_dir
    from geoarena.eo.data.embedded_tasks import SOLARIS
    from geoarena.eo.data.samples import sample_file
    from geoarena.store.mlflow_tracker import open_mlflow_client

    scene = sample_file(SOLARIS, "solaris/data/sample_geotiff.tif")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_TRACKING_URI": uri}
    bench = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools/run_benchmark.py"),
            "--quick",
            "--tasks",
            "eo/spacenet-atlanta-buildings",
            "--models",
            "eo/rf-pixels",
            "--seeds",
            "0,1",
            "--cache-dir",
            str(default_cache_dir()),
            "--out",
            str(tmp_path / "results"),
            "--no-report",
            "--register",
            "ga",
            "--alias",
            "champion",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert bench.returncode == 0, bench.stderr[-3000:]
    name = "ga-eo-spacenet-atlanta-buildings"
    assert f"registered models:/{name}@champion (version 1)" in " ".join(bench.stdout.split())
    client = open_mlflow_client(uri)
    runs = client.search_runs(
        [client.get_experiment_by_name("suite-default").experiment_id],
        filter_string="tags.task = 'eo/spacenet-atlanta-buildings'",
    )
    assert len(runs) == 2 and all(r.data.tags["model_export"] == "logged" for r in runs)
    best = max(runs, key=lambda r: r.data.metrics["best_val/miou"])
    assert client.get_model_version_by_alias(name, "champion").run_id == best.info.run_id

    out = tmp_path / "classes.tif"
    pred = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools/predict.py"),
            "--model",
            f"models:/{name}@champion",
            "--input",
            str(scene),
            "--output",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pred.returncode == 0, pred.stderr[-3000:]
    with rasterio.open(out) as o, rasterio.open(scene) as s:
        assert o.crs == s.crs and o.transform == s.transform
        assert set(o.read(1).ravel().tolist()) <= {0, 1}
