"""``mlflow models serve`` on 127.0.0.1 answers scoring requests for an EO segmentation model
and for the geoparser (slow: each starts a real scoring server in a subprocess)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from geoarena.core.model import ExportedModel
from geoarena.serve.mlflow_model import save_model

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def _serve(folder: Path, body: dict) -> dict:
    """Start ``mlflow models serve`` on ``folder``, wait for /ping, POST ``body`` to
    /invocations, stop the server."""
    port = _free_port()
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [
            str(mlflow_cli),
            "models",
            "serve",
            "-m",
            str(folder),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # the scoring server runs ``uvicorn`` from PATH: the environment's own bin folder
        env={
            **os.environ,
            "PATH": f"{mlflow_cli.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        },
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("scoring server did not start:\n" + proc.stdout.read()[-3000:])
            time.sleep(1)
        return _post(f"http://127.0.0.1:{port}/invocations", body)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_eo_model_answers_a_scoring_request(tmp_path):
    import mlflow
    from test_model_and_registry import _exported

    folder = save_model(_exported(tmp_path), tmp_path / "model")
    chips = np.random.default_rng(2).normal(100, 40, (2, 1, 32, 32)).astype(np.float32)
    out = _serve(folder, {"inputs": chips.tolist()})
    got = np.asarray(out["predictions"])
    assert got.shape == (2, 32, 32)
    np.testing.assert_array_equal(got, mlflow.pyfunc.load_model(str(folder)).predict(chips))
    assert 0 < got.mean() < 1  # both classes occur


def test_geoparser_answers_a_scoring_request(tmp_path):
    from geoarena.nlp.serving import LOADER

    cfg = tmp_path / "geoparser.json"
    cfg.write_text(json.dumps({"recognizer": "combined", "resolver": "context", "spacy_model": ""}))
    card = {
        "name": "nlp/context-resolver",
        "modality": "nlp",
        "task": "nlp/geovirus-geoparse",
        "task_kind": "geoparse",
    }
    folder = save_model(ExportedModel(LOADER, {"geoparser": str(cfg)}, card), tmp_path / "model")
    text = "Health officials in Nairobi, Kenya confirmed two new cases of the virus."
    out = _serve(folder, {"dataframe_split": {"columns": ["text"], "data": [[text]]}})
    (pred,) = out["predictions"]
    fc = json.loads(pred["geojson"])
    places = {f["properties"]["name"]: f["geometry"]["coordinates"] for f in fc["features"]}
    assert pred["n_toponyms"] == len(fc["features"]) >= 2
    lon, lat = places["Nairobi"]
    assert abs(lat - (-1.28)) < 0.2 and abs(lon - 36.82) < 0.2
    assert "Kenya" in places
