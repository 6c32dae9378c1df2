"""Sweeps in one process on in-memory and journal storages (fast; PostgreSQL ones live in
test_sweep_postgres_workers.py and test_sweep_postgres_slots.py)."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import optuna
import pytest

from geoarena.core.config import RunConfig, SweepConfig, TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.tracking import NullTracker
from geoarena.sweeps.experiment import Experiment, load_experiment
from geoarena.sweeps.final import run_final
from geoarena.sweeps.study import SweepError, open_sweep, study_counts
from geoarena.sweeps.worker import run_worker
from geoarena.train.testing import register_toys

REPO = Path(__file__).resolve().parents[3]
TOY = REPO / "experiments" / "toy_quadratic.py"


@pytest.fixture
def toy() -> Experiment:
    exp = load_experiment(TOY)
    base = exp.config
    # no sleeping in unit tests: the curve is what matters here
    exp.config = lambda: RunConfig(
        **{**base().__dict__, "model_kwargs": {"width": 8, "sleep_s": 0.0}}
    )
    return exp


def sweep_cfg(study: str, storage: str = "memory", **kw) -> SweepConfig:
    base = dict(
        study=study,
        storage=storage,
        n_trials=12,
        metrics=("val/score",),
        directions=("maximize",),
        sampler="tpe",
        pruner="median",
    )
    base.update(kw)
    return SweepConfig(**base)


def test_sweep_finishes_exactly_n_trials_with_children_of_one_parent(toy):
    tracker = NullTracker()
    handle = open_sweep(toy, sweep_cfg("exact"), sampler_seed=0)
    report = run_worker(handle, tracker)
    counts = study_counts(handle.study)
    assert counts["COMPLETE"] + counts["PRUNED"] == 12 and set(counts) <= {"COMPLETE", "PRUNED"}
    assert report.n_trials == 12
    parents = [r for r in tracker.runs.values() if r.tags.get("sweep.role") == "parent"]
    assert len(parents) == 1
    parent = parents[0].id
    assert handle.study.user_attrs["mlflow.parent_run_id"] == parent
    children = [r for r in tracker.runs.values() if r.parent_id == parent]
    assert sorted(int(r.tags["optuna.trial"]) for r in children) == list(range(12))
    for t in handle.study.get_trials():
        run = tracker.runs[t.user_attrs["mlflow_run_id"]]
        assert run.tags["optuna.state"] == t.state.name
        assert run.status == {"COMPLETE": "FINISHED", "PRUNED": "KILLED"}[t.state.name]
        assert run.params["trial.train.lr"] == str(t.params["train.lr"])
        # every intermediate value Optuna saw is on the MLflow run, step by step
        logged = dict(run.metrics["optuna/intermediate"])
        assert logged == pytest.approx(t.intermediate_values)


def test_median_pruner_prunes_bad_trials_and_objective_is_the_validation_metric(toy):
    handle = open_sweep(toy, sweep_cfg("prune", n_trials=20, sampler="random"), sampler_seed=3)
    run_worker(handle, NullTracker())
    trials = handle.study.get_trials()
    pruned = [t for t in trials if t.state.name == "PRUNED"]
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert pruned and complete
    # pruned trials stopped early: fewer reported epochs than the 4 of a full run
    assert all(len(t.intermediate_values) < 4 for t in pruned)
    toy_mod = toy.run_fn.__globals__
    for t in complete:
        expected = toy_mod["score"](t.params["train.lr"], t.params["model_kwargs.width"], 3, 4, 0)
        assert t.value == pytest.approx(expected)  # val/score of the last epoch, not test/score
        assert t.user_attrs["test"]["test/score"] != pytest.approx(t.value, abs=1e-9)


def test_tpe_finds_the_known_optimum_region(toy):
    handle = open_sweep(toy, sweep_cfg("tpe", n_trials=30, pruner="none"), sampler_seed=0)
    run_worker(handle)
    best = handle.study.best_trial
    assert best.value > 0.85
    assert abs(math.log10(best.params["train.lr"]) + 2) < 0.6


@pytest.mark.parametrize("sampler,pruner", [("random", "hyperband"), ("cmaes", "sha")])
def test_other_samplers_and_pruners_run(toy, sampler, pruner):
    handle = open_sweep(
        toy,
        sweep_cfg(f"{sampler}-{pruner}", n_trials=10, sampler=sampler, pruner=pruner),
        sampler_seed=1,
    )
    run_worker(handle)
    counts = study_counts(handle.study)
    assert counts["COMPLETE"] + counts["PRUNED"] == 10
    assert type(handle.study.sampler).__name__.lower().startswith(sampler[:4])
    assert (
        type(handle.study.pruner).__name__
        == {"hyperband": "HyperbandPruner", "sha": "SuccessiveHalvingPruner"}[pruner]
    )


def test_multi_objective_metric_vs_parameter_count(toy):
    cfg = sweep_cfg(
        "mo",
        n_trials=16,
        metrics=("val/score", "params"),
        directions=("maximize", "minimize"),
        sampler="nsga2",
        pruner="none",
    )
    handle = open_sweep(toy, cfg, sampler_seed=0)
    run_worker(handle)
    front = handle.study.best_trials
    assert front and all(len(t.values) == 2 for t in front)
    for t in handle.study.get_trials():
        assert (
            t.values[1] == t.params["model_kwargs.width"] ** 2
        )  # params objective = the model size
    # Pareto front: no trial on it is dominated by another trial
    for a in front:
        assert not any(
            b.values[0] >= a.values[0] and b.values[1] <= a.values[1] and b.values != a.values
            for b in handle.study.get_trials()
        )


def test_invalid_objectives_and_combinations_are_config_errors(toy):
    with pytest.raises(ConfigError, match="never test"):
        open_sweep(toy, sweep_cfg("t", metrics=("test/score",)))
    with pytest.raises(ConfigError, match="multi-objective"):
        open_sweep(
            toy,
            sweep_cfg(
                "t",
                metrics=("val/score", "params"),
                directions=("maximize", "minimize"),
                pruner="median",
            ),
        )
    with pytest.raises(ConfigError, match="single-objective"):
        open_sweep(
            toy,
            sweep_cfg(
                "t",
                metrics=("val/score", "params"),
                directions=("maximize", "minimize"),
                sampler="cmaes",
                pruner="none",
            ),
        )
    with pytest.raises(ConfigError, match="2 objectives"):
        open_sweep(toy, sweep_cfg("t", metrics=("val/score", "params"), directions=("maximize",)))


def test_study_name_clash_is_a_clear_error(toy):
    open_sweep(toy, sweep_cfg("clash"))
    other = Experiment(
        name="other", path=None, config=toy.config, space=toy.space, run_fn=toy.run_fn
    )
    with pytest.raises(ConfigError, match=r"name clash.*toy_quadratic"):
        open_sweep(other, sweep_cfg("clash"))
    with pytest.raises(ConfigError, match="name clash"):
        open_sweep(toy, sweep_cfg("clash", directions=("minimize",)))
    with pytest.raises(ConfigError, match="already exists"):
        open_sweep(toy, sweep_cfg("clash"), must_be_new=True)


def test_failing_trials_stop_the_worker_with_the_error(toy):
    def broken_run(cfg, tracker=None, parent_id=None, on_epoch=None, tags=None):
        raise RuntimeError("CUDA out of memory (simulated)")

    exp = Experiment(
        name="broken", path=None, config=toy.config, space=toy.space, run_fn=broken_run
    )
    handle = open_sweep(exp, sweep_cfg("broken"))
    with pytest.raises(SweepError, match=r"(?s)3 trials failed in a row.*out of memory"):
        run_worker(handle)
    trials = handle.study.get_trials()
    assert [t.state.name for t in trials] == ["FAIL"] * 3
    assert "out of memory" in trials[0].user_attrs["error"]


def test_threads_sharing_a_study_never_overshoot(toy):
    handle = open_sweep(toy, sweep_cfg("threads", n_trials=15, pruner="none", sampler="random"))
    errors = []

    def work():
        try:
            run_worker(handle)
        except Exception as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [t.state.name for t in handle.study.get_trials()] == ["COMPLETE"] * 15


def test_final_stage_reruns_best_config_over_seeds_with_bootstrap_ci(toy):
    tracker = NullTracker()
    handle = open_sweep(toy, sweep_cfg("final", n_trials=10, pruner="none"), sampler_seed=0)
    run_worker(handle, tracker)
    report = run_final(handle, tracker, seeds=(0, 1, 2))
    best = handle.study.best_trial
    assert report.best_trial == best.number and report.params == best.params
    (m,) = report.metrics
    assert m.metric == "test/score" and len(m.values) == 3
    assert np.mean(m.values) == pytest.approx(m.mean)
    assert m.ci_low <= m.mean <= m.ci_high
    assert min(m.values) <= m.ci_low and m.ci_high <= max(
        m.values
    )  # resampling 3 seeds stays within them
    finals = [r for r in tracker.runs.values() if r.tags.get("sweep.stage") == "final"]
    assert sorted(r.tags["seed"] for r in finals) == ["0", "1", "2"]
    assert {r.parent_id for r in finals} == {handle.study.user_attrs["mlflow.parent_run_id"]}
    parent = tracker.runs[handle.study.user_attrs["mlflow.parent_run_id"]]
    assert (
        "final_report.md" in parent.artifacts
        and "test/score" in parent.artifacts["final_report.md"]
    )
    # a second worker does not run the final stage again
    assert run_final(handle, tracker, seeds=(0, 1, 2)) is None


@pytest.mark.slow  # loads every installed plugin (registry lookup) and trains 6 tiny torch models
def test_real_runner_sweep_prunes_in_the_torch_fit_loop():
    register_toys()
    from geoarena.sweeps.experiment import Experiment

    def config():
        return RunConfig(
            task="test/blobs",
            model="test/mlp",
            train=TrainConfig(epochs=3, batch_size=32, early_stop_patience=10),
        )

    def space(trial, cfg):
        cfg.train.lr = trial.suggest_float("train.lr", 1e-5, 1e-1, log=True)
        return cfg

    exp = Experiment(name="blobs", path=None, config=config, space=space)
    tracker = NullTracker()
    handle = open_sweep(
        exp,
        sweep_cfg(
            "blobs",
            n_trials=6,
            metrics=("val/auto",),
            directions=("auto",),
            sampler="random",
            pruner="median",
        ),
        sampler_seed=2,
    )
    assert handle.metrics == ("val/overall_accuracy",)
    run_worker(handle, tracker)
    states = study_counts(handle.study)
    assert states["COMPLETE"] + states["PRUNED"] == 6 and states["PRUNED"] >= 1
    for t in handle.study.get_trials():
        run = tracker.runs[t.user_attrs["mlflow_run_id"]]
        assert run.tags["optuna.state"] == t.state.name
        if t.state.name == "PRUNED":
            assert run.status == "KILLED" and run.tags["state"] == "PRUNED"


def test_journal_storage_is_the_default_and_resumes(toy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    handle = open_sweep(toy, sweep_cfg("journal", storage="", n_trials=5, pruner="none"))
    run_worker(handle)
    assert (tmp_path / "optuna.journal").is_file()
    # a later call with a larger target continues the same study
    handle2 = open_sweep(toy, sweep_cfg("journal", storage="", n_trials=8, pruner="none"))
    run_worker(handle2)
    assert len(optuna.load_study(study_name="journal", storage=handle2.study._storage).trials) == 8
