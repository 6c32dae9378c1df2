"""The one-statement trial reader of ``SweepRDBStorage`` against Optuna's own ORM reader, on a
real PostgreSQL study that holds every kind of stored value (inf/NaN, categorical and log
distributions, multi-objective values, attrs, every trial state)."""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from geoarena.sweeps.rdb import SweepRDBStorage
from geoarena.sweeps.storage import sqlalchemy_url
from geoarena.sweeps.testing import throwaway_database


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN (FrozenTrial compares floats with ==)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and type(a) is type(b)


FIELDS = (
    "number",
    "state",
    "values",
    "datetime_start",
    "datetime_complete",
    "params",
    "distributions",
    "user_attrs",
    "system_attrs",
    "intermediate_values",
    "_trial_id",
)


def assert_same_trials(ours, theirs) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        for f in FIELDS:
            assert _same(getattr(a, f), getattr(b, f)), (a.number, f, getattr(a, f), getattr(b, f))


@pytest.fixture(scope="module")
def study_db():
    """A two-objective study with trials in every state and every value encoding."""
    with throwaway_database() as url:
        url = sqlalchemy_url(url)
        study = optuna.create_study(
            study_name="parity", storage=RDBStorage(url), directions=["maximize", "minimize"]
        )
        for i in range(3):
            t = study.ask()
            t.suggest_float("lr", 1e-5, 1.0, log=True)
            t.suggest_int("width", 4, 64, step=4)
            t.suggest_categorical("opt", ["adam", None, 3, 0.5, True])
            t.suggest_float("drop", 0.0, 0.5)
            t.set_user_attr("note", {"i": i, "tags": ["a", "ß"], "none": None})
            t.set_user_attr("score", 0.1 + i)
            # Trial.report refuses multi-objective studies; the storage stores them regardless
            for step, v in enumerate([0.1, float("nan"), float("inf"), -float("inf"), 1e-300]):
                study._storage.set_trial_intermediate_value(t._trial_id, step, v)
            if i == 0:
                study.tell(t, [0.123456789012345678, float("inf")])
            elif i == 1:
                study.tell(t, [-float("inf"), 2.5])
            # i == 2 stays RUNNING
        failed = study.ask()
        failed.suggest_float("lr", 1e-5, 1.0, log=True)
        study.tell(failed, state=TrialState.FAIL)
        study.enqueue_trial({"lr": 0.01, "width": 8})  # WAITING, with fixed params
        yield url


def test_reader_matches_optunas_on_every_state_and_value(study_db):
    ours, theirs = SweepRDBStorage(study_db), RDBStorage(study_db)
    sid = theirs.get_study_id_from_name("parity")
    every = theirs._get_trials(sid, None, set(), -1)
    assert {t.state for t in every} == {
        TrialState.COMPLETE,
        TrialState.RUNNING,
        TrialState.FAIL,
        TrialState.WAITING,
    }
    assert_same_trials(ours._get_trials(sid, None, set(), -1), every)
    # the filters _CachedStorage uses: states, unfinished ids at/below a bound, ids above it
    ids = [t._trial_id for t in every]
    for states in (None, (TrialState.COMPLETE,), (TrialState.RUNNING, TrialState.WAITING), ()):
        for included, gt in (({ids[2]}, ids[1]), (set(), ids[0]), ({ids[2], ids[4]}, ids[3])):
            assert_same_trials(
                ours._get_trials(sid, states, included, gt),
                theirs._get_trials(sid, states, included, gt),
            )
    for tid in ids:
        assert_same_trials([ours.get_trial(tid)], [theirs.get_trial(tid)])
    # values that need the type column survive the trip
    first = ours.get_trial(ids[0])
    assert first.values == [0.123456789012345678, float("inf")]
    assert math.isnan(first.intermediate_values[1])
    assert first.intermediate_values[2] == float("inf")
    assert first.intermediate_values[4] == 1e-300
    assert first.params["opt"] in ("adam", None, 3, 0.5, True)


def test_reader_raises_like_optuna_for_a_missing_study_or_trial(study_db):
    ours = SweepRDBStorage(study_db)
    with pytest.raises(KeyError):
        ours._get_trials(10_000, None, set(), -1)
    with pytest.raises(KeyError):
        ours.get_trial(10_000)
    # an existing study with no matching trial is an empty list, not an error
    sid = ours.get_study_id_from_name("parity")
    assert ours._get_trials(sid, (TrialState.PRUNED,), set(), -1) == []


def test_intermediate_values_are_upserted_and_finished_trials_refuse_them(study_db):
    ours = SweepRDBStorage(study_db)
    study = optuna.load_study(study_name="parity", storage=ours)
    t = study.ask()
    ours.set_trial_intermediate_value(t._trial_id, 0, 0.5)
    ours.set_trial_intermediate_value(t._trial_id, 0, float("nan"))  # same step: replaced
    ours.set_trial_intermediate_value(t._trial_id, 3, -float("inf"))
    got = RDBStorage(study_db).get_trial(t._trial_id).intermediate_values
    assert set(got) == {0, 3} and math.isnan(got[0]) and got[3] == -float("inf")
    study.tell(t, [1.0, 1.0])
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError):
        ours.set_trial_intermediate_value(t._trial_id, 4, 1.0)
    with pytest.raises(KeyError):
        ours.set_trial_intermediate_value(10_000, 0, 1.0)
