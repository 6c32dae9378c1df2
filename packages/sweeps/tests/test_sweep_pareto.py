"""Multi-objective sweeps over the task metric and the cell's inference latency: real Optuna
studies on SQLite (a file in tmp) and PostgreSQL (127.0.0.1:5432, or $GEOARENA_TEST_PG), MLflow
on a SQLite store, the Pareto front, the trade-off point of the final stage, resume, and a suite
run as a metric/latency study through the real runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from geoarena.core.config import RunConfig, SweepConfig
from geoarena.core.errors import ConfigError
from geoarena.sweeps.experiment import Experiment, load_experiment
from geoarena.sweeps.final import run_final
from geoarena.sweeps.objective import parse_objectives
from geoarena.sweeps.pareto import dominates, non_dominated, pick_tradeoff
from geoarena.sweeps.storage import sqlalchemy_url
from geoarena.sweeps.study import PARENT_ATTR, open_sweep
from geoarena.sweeps.worker import run_worker

REPO = Path(__file__).resolve().parents[3]
TOY = REPO / "experiments" / "toy_quadratic.py"
MAX_MIN = ("maximize", "minimize")


@pytest.fixture
def toy() -> Experiment:
    exp = load_experiment(TOY)
    base = exp.config
    exp.config = lambda: RunConfig(
        **{**base().__dict__, "model_kwargs": {"width": 8, "sleep_s": 0.0}}
    )
    return exp


def mo_cfg(study: str, storage: str, n_trials: int, **kw) -> SweepConfig:
    metrics, directions = parse_objectives("val/score:maximize,latency")
    return SweepConfig(
        study=study,
        storage=storage,
        n_trials=n_trials,
        metrics=metrics,
        directions=directions,
        sampler=kw.pop("sampler", "nsga2"),
        pruner="none",
        **kw,
    )


def check_front(study: optuna.Study) -> list:
    """Optuna's front is exactly the non-dominated set of the COMPLETE trials."""
    done = [t for t in study.get_trials() if t.state.name == "COMPLETE"]
    front = study.best_trials
    assert len(front) >= 2  # score peaks at width 32, latency grows with width: a real trade-off
    assert {t.number for t in front} == {t.number for t in non_dominated(done, MAX_MIN)}
    for t in done:
        on_front = t.number in {f.number for f in front}
        assert on_front != any(dominates(f.values, t.values, MAX_MIN) for f in front)
    return front


def mlflow_client(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(sqlalchemy_url(uri))


def test_objectives_parse_and_bad_ones_are_config_errors():
    assert parse_objectives("metric,latency") == (("val/auto", "latency_ms"), ("auto", "minimize"))
    assert parse_objectives("val/miou, params") == (("val/miou", "params"), ("auto", "minimize"))
    assert parse_objectives("val/rmse:minimize,latency")[1] == ("minimize", "minimize")
    for bad, msg in (
        ("metric,speed", "unknown objective 'speed'"),
        (",", "at least one"),
        ("latency,latency", "named twice"),
        ("metric:max", "direction 'max'"),
    ):
        with pytest.raises(ConfigError, match=msg):
            parse_objectives(bad)


def test_knee_and_first_tradeoffs_on_a_known_front():
    class T:
        def __init__(self, number, values):
            self.number, self.values = number, values

    # metric up, latency down; (0.80, 2 ms) is the knee: within 0.1 of the best metric at a
    # fifth of its latency
    front = [T(0, [0.90, 10.0]), T(1, [0.80, 2.0]), T(2, [0.30, 1.0])]
    assert pick_tradeoff(front, MAX_MIN, "knee").number == 1
    assert pick_tradeoff(front, MAX_MIN, "first").number == 0
    with pytest.raises(ConfigError, match="tradeoff 'best'"):
        pick_tradeoff(front, MAX_MIN, "best")


def test_metric_latency_study_on_sqlite_logs_the_front_resumes_and_reruns_the_knee(toy, tmp_path):
    from geoarena.store.mlflow_tracker import MLflowTracker

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    mlflow_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracker = MLflowTracker("pareto", tracking_uri=mlflow_uri, flush_every_s=0.0)
    handle = open_sweep(toy, mo_cfg("mo", storage, 10), sampler_seed=0)
    assert handle.metrics == ("val/score", "latency_ms") and handle.directions == MAX_MIN
    run_worker(handle, tracker)
    handle.close()
    # resume: a second worker with a larger target continues the same study on the same file
    handle = open_sweep(toy, mo_cfg("mo", storage, 14), sampler_seed=1)
    run_worker(handle, tracker)
    study = optuna.load_study(study_name="mo", storage=storage)
    assert len(study.trials) == 14 and {t.state.name for t in study.trials} == {"COMPLETE"}
    front = check_front(study)
    for t in study.trials:  # the latency objective is the runner's figure (toy: width-linear)
        assert t.values[1] == pytest.approx(0.05 * t.params["model_kwargs.width"])
    # both objective values are in every front trial's MLflow child run
    client = mlflow_client(mlflow_uri)
    for t in front:
        run = client.get_run(t.user_attrs["mlflow_run_id"])
        assert run.data.metrics["val/score"] == pytest.approx(t.values[0])
        assert run.data.metrics["latency/ms_per_sample"] == pytest.approx(t.values[1])
        assert run.data.metrics["objective/latency_ms"] == pytest.approx(t.values[1])
        assert run.data.tags["optuna.state"] == "COMPLETE"

    report = run_final(handle, tracker, seeds=(0, 1), n_bootstrap=50)
    knee = pick_tradeoff(front, MAX_MIN, "knee")
    assert report.best_trial == knee.number and report.tradeoff == "knee"
    assert sorted(r["trial"] for r in report.pareto_front) == sorted(t.number for t in front)
    assert "trade-off rule 'knee'" in report.to_markdown()
    parent = study.user_attrs[PARENT_ATTR]
    logged = json.loads(
        Path(client.download_artifacts(parent, "pareto_front.json", str(tmp_path))).read_text()
    )
    assert logged["chosen"] == knee.number and logged["metrics"] == ["val/score", "latency_ms"]
    assert {r["trial"] for r in logged["front"]} == {t.number for t in front}
    assert client.get_run(parent).data.tags["sweep.tradeoff"] == "knee"
    for t in front:
        assert (
            client.get_run(t.user_attrs["mlflow_run_id"]).data.tags["sweep.pareto_front"] == "true"
        )
    finals = [r for r in report.run_ids if r]
    assert len(finals) == 2 and all(
        client.get_run(r).data.params["model_kwargs.width"]
        == str(knee.params["model_kwargs.width"])
        for r in finals
    )
    handle.close()


def test_objectives_other_than_the_studys_are_a_name_clash(toy, tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    open_sweep(toy, mo_cfg("clash", storage, 2)).close()
    single = SweepConfig(study="clash", storage=storage, metrics=("val/score",), pruner="none")
    with pytest.raises(ConfigError, match="name clash"):
        open_sweep(toy, single)


def _env() -> dict[str, str]:
    e = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", PYTHONUNBUFFERED="1")
    e.pop("MLFLOW_TRACKING_URI", None)
    return e


def test_cli_metric_latency_sweep_on_postgres_resumes_and_picks_the_knee(tmp_path):
    from geoarena.sweeps.testing import throwaway_database

    mlflow_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with throwaway_database() as storage:
        base = [sys.executable, str(REPO / "tools" / "sweep.py"), str(TOY), "--study", "pg-mo"]
        base += [
            "--storage",
            storage,
            "--objectives",
            "val/score:maximize,latency",
            "--sampler",
            "nsga2",
        ]
        base += ["--tracking-uri", mlflow_uri, "--set", "model_kwargs.sleep_s=0"]
        first = subprocess.run(
            [*base, "--n-trials", "8", "--worker-only", "--sampler-seed", "0"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Pareto front (" in first.stdout
        second = subprocess.run(
            [*base, "--n-trials", "12", "--final-seeds", "0", "--sampler-seed", "1"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        study = optuna.load_study(study_name="pg-mo", storage=sqlalchemy_url(storage))
        assert len(study.trials) == 12 and study.directions == [
            optuna.study.StudyDirection.MAXIMIZE,
            optuna.study.StudyDirection.MINIMIZE,
        ]
        front = check_front(study)
        final = study.user_attrs["geoarena.final"]
        assert final["state"] == "DONE" and final["tradeoff"] == "knee"
        assert final["best_trial"] == pick_tradeoff(front, MAX_MIN, "knee").number
        assert {r["trial"] for r in final["pareto_front"]} == {t.number for t in front}
        assert "trade-off rule 'knee'" in second.stdout
        client = mlflow_client(mlflow_uri)
        for t in front:
            run = client.get_run(t.user_attrs["mlflow_run_id"])
            assert run.data.metrics["objective/val/score"] == pytest.approx(t.values[0])
            assert run.data.metrics["objective/latency_ms"] == pytest.approx(t.values[1])


def test_cli_refuses_objectives_with_metric(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "sweep.py"),
            str(TOY),
            "--study",
            "x",
            "--objectives",
            "metric,latency",
            "--metric",
            "val/score",
        ],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "--objectives replaces --metric" in out.stderr


@pytest.mark.slow  # six tiny torch cells through the real runner
def test_suite_as_metric_latency_study_marks_each_tasks_front(tmp_path, monkeypatch):
    from geoarena.core.suite import Suite, SuiteEntry
    from geoarena.sweeps.suite_sweep import open_suite_sweep, suite_table
    from geoarena.train.testing import register_toys

    monkeypatch.setenv("GEOARENA_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    register_toys()
    train = {"epochs": 3, "batch_size": 16, "lr": 0.01}
    entry = SuiteEntry(
        "test/blobs", ("test/mlp",), ("finetune", "linear_probe"), seeds=(0, 1, 2), train=train
    )
    cells = Suite("test-toy-mo", [entry]).cells()
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    handle = open_suite_sweep(
        "test-toy", cells, "cells-mo", storage, objectives=("metric", "latency")
    )
    run_worker(handle, None, allow_new=False)
    rows = suite_table(handle)
    assert [r["state"] for r in rows] == ["COMPLETE"] * len(cells)
    assert all(r["latency_ms"] > 0 for r in rows)  # the runner's test-split ms per sample
    done = [t for t in handle.study.get_trials() if t.state.name == "COMPLETE"]
    expected = {t.number for t in non_dominated(done, MAX_MIN)}
    assert {r["trial"] for r in rows if r["pareto"]} == expected and expected
    handle.close()
