"""Trial slots on a real PostgreSQL server (127.0.0.1:5432, or $GEOARENA_TEST_PG): the claim
without a study-wide lock (geoarena.sweeps.rdb) — threads never overshoot, a claim that dies
before commit takes no slot, failed and lost trials give their slot back or are retried in it,
queued trials take none. Every test uses its own throwaway database (``optuna_db`` of
conftest.py)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from geoarena.sweeps.storage import StorageOptions

REPO = Path(__file__).resolve().parents[3]
TOY = REPO / "experiments" / "toy_quadratic.py"


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
