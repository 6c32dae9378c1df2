"""PostgreSQL storage for sweeps: a trial slot is claimed inside the transaction that creates it.

``n_trials`` is the study-wide number of finished (COMPLETE or PRUNED) trials. Many workers on one
study must never start more than that, yet taking a study-wide lock around "count the trials,
create one, write its first heartbeat" serialises every worker on ~8 round trips per trial. Instead
the study keeps a counter of *trial slots* (study system attr ``geoarena.trial_slots``) and
:class:`SweepRDBStorage` changes only what happens inside Optuna's own trial-creation transaction
(which already locks the study row, so nothing new is serialised), and does it in fewer round
trips than Optuna's ORM, which shortens the section that the study lock serialises:

1. lock the study row (``SELECT … FOR UPDATE``) — as raw Optuna does;
2. one statement of data-modifying CTEs: take a slot (``UPDATE … SET n = n + 1 WHERE n < n_trials
   RETURNING n``), insert the RUNNING trial numbered as Optuna numbers it (the study's trials
   before it), and write its first heartbeat, its slot number and the ``worker`` user attr; no
   row back means every slot is taken and the transaction rolls back (:class:`NoTrialSlot`).

It commits as one unit: a worker killed before the commit leaves neither a trial nor a used slot,
one killed after it leaves a RUNNING trial with a heartbeat, which another worker fails after the
grace period. Slots are held, not spent:

- a retry queued for a heartbeat-failed or preempted trial (``RetryHeartbeatStaleTrialCallback``)
  inherits the failed trial's slot; popping a WAITING trial (retry or queued suite cell) takes none,
  and writes its first heartbeat in the same transaction that moves it to RUNNING;
- a trial that ends FAIL for good (its objective raised, or it ran out of retries) gives its slot
  back, in the transaction that records the FAIL, so another worker replaces it.

So fresh trials that did not fail for good never exceed ``n_trials``. Outcome user attrs (MLflow
run id, test metrics, error) are staged with :meth:`SweepRDBStorage.stage` and written in the
transaction that records the final state, instead of one transaction each.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Container, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import optuna
import sqlalchemy
from optuna.storages import RDBStorage
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session
from optuna.trial import FrozenTrial, TrialState

from geoarena.sweeps.rdb_read import (
    SET_INTERMEDIATE,
    TRIAL_STATEMENT,
    frozen_trial,
    intermediate_params,
    local_naive,
    trials_statement,
)

SLOTS_ATTR = "geoarena.trial_slots"
#: trial system attr: the slot a fresh trial took; retries inherit it (the retry callback copies
#: system attrs), popped suite cells have none and give nothing back when they fail
TRIAL_SLOT_ATTR = "geoarena.slot"

_GIVE_SLOT = sqlalchemy.text(
    "UPDATE study_system_attributes "
    "SET value_json = CAST(CAST(value_json AS INTEGER) - 1 AS TEXT) "
    "WHERE study_id = :sid AND key = :key "
    "AND CASE WHEN key = :key THEN CAST(value_json AS INTEGER) END > 0"
)
_HEARTBEAT = (
    "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (:tid, CURRENT_TIMESTAMP) "
    "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat"
)


_LOCK_STUDY = sqlalchemy.text("SELECT study_id FROM studies WHERE study_id = :sid FOR UPDATE")


def _claim_sql(n_attrs: int) -> str:
    """Slot, trial (numbered like Optuna: trials of the study before it), first heartbeat, slot
    attr and user attrs as data-modifying CTEs of one statement; no row when no slot is left."""
    attrs = ""
    if n_attrs:
        rows = ", ".join(f"(:k{i}, :v{i})" for i in range(n_attrs))
        attrs = (
            ", ua AS (INSERT INTO trial_user_attributes (trial_id, key, value_json) "
            f"SELECT trial.trial_id, a.k, a.v FROM trial, (VALUES {rows}) AS a(k, v))"
        )
    return (
        "WITH slot AS ("
        "UPDATE study_system_attributes "
        "SET value_json = CAST(CAST(value_json AS INTEGER) + 1 AS TEXT) "
        "WHERE study_id = :sid AND key = :key "
        "AND CASE WHEN key = :key THEN CAST(value_json AS INTEGER) END < :limit "
        "RETURNING CAST(value_json AS INTEGER) AS n), "
        "trial AS (INSERT INTO trials (number, study_id, state, datetime_start) "
        "SELECT (SELECT count(*) FROM trials WHERE study_id = :sid), :sid, "
        "CAST('RUNNING' AS trialstate), :start FROM slot RETURNING trial_id, number), "
        "hb AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) "
        "SELECT trial_id, CURRENT_TIMESTAMP FROM trial), "
        "sa AS (INSERT INTO trial_system_attributes (trial_id, key, value_json) "
        "SELECT trial.trial_id, :slot_key, CAST(slot.n AS TEXT) FROM trial, slot)"
        f"{attrs} "
        "SELECT trial.trial_id, trial.number, slot.n AS slot FROM trial, slot"
    )


def _upsert_attrs_sql(n: int) -> str:
    rows = ", ".join(f"(:tid, :k{i}, :v{i})" for i in range(n))
    return (
        f"INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES {rows} "
        "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json"
    )


def _attr_params(attrs: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, (k, v) in enumerate(attrs.items()):
        params[f"k{i}"], params[f"v{i}"] = k, json.dumps(v)
    return params


class NoTrialSlot(Exception):
    """Every trial slot of the study is taken (raised out of ``study.ask`` while claiming)."""


_CLAIM = threading.local()


class SweepRDBStorage(RDBStorage):
    """Optuna's ``RDBStorage`` on PostgreSQL plus the slot claim described in the module docstring.

    Outside :meth:`claiming` and without staged attrs it writes exactly like ``RDBStorage``
    (raw Optuna code, ``enqueue_trial`` and the retry callback use it unchanged); trial reads and
    intermediate values take one statement each instead of Optuna's 3–7
    (:mod:`geoarena.sweeps.rdb_read`), with the same results.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # trial id -> (user attrs, give the slot back): written with the trial's final state
        self._staged: dict[int, tuple[dict[str, Any], bool]] = {}

    # slots ----------------------------------------------------------------------------------
    def init_slots(self, study_id: int) -> int:
        """Create the study's slot counter if it has none (call under the study lock): the
        number of trials already holding a slot (COMPLETE, PRUNED, RUNNING). Returns its value."""
        attrs = self.get_study_system_attrs(study_id)
        if SLOTS_ATTR in attrs:
            return int(attrs[SLOTS_ATTR])
        held = sum(
            t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
            for t in self.get_all_trials(study_id, deepcopy=False)
        )
        self.set_study_system_attr(study_id, SLOTS_ATTR, held)
        return held

    def slots(self, study_id: int) -> int:
        """Slots held now (finished, running and retried-to-be trials)."""
        return int(self.get_study_system_attrs(study_id).get(SLOTS_ATTR, 0))

    def give_slot_back(self, study_id: int) -> None:
        """One slot free again (a trial failed for good outside :meth:`stage`)."""
        with _create_scoped_session(self.scoped_session) as session:
            session.execute(_GIVE_SLOT, {"sid": study_id, "key": SLOTS_ATTR})

    @contextlib.contextmanager
    def claiming(self, limit: int, user_attrs: dict[str, Any] | None = None) -> Iterator[None]:
        """Within this block, ``study.ask()`` on this thread takes a slot (at most ``limit`` in
        the study, else :class:`NoTrialSlot`) and writes the first heartbeat and ``user_attrs``
        in the transaction that creates or pops the trial."""
        _CLAIM.value = (int(limit), dict(user_attrs or {}))
        try:
            yield
        finally:
            _CLAIM.value = None

    def stage(self, trial_id: int, user_attrs: dict[str, Any], give_slot_back: bool) -> None:
        """Write ``user_attrs`` (and give the trial's slot back) in the transaction of the trial's
        next final-state change (``study.tell``)."""
        self._staged[trial_id] = (dict(user_attrs), give_slot_back)

    def unstage(self, trial_id: int) -> None:
        self._staged.pop(trial_id, None)

    # reads and reports in one statement (geoarena.sweeps.rdb_read) ------------------------
    @contextlib.contextmanager
    def _single_statement(self) -> Iterator[Any]:
        """A pooled connection in autocommit mode for one statement: a single statement is
        atomic on its own, and the driver then sends no BEGIN and no COMMIT — two round trips
        of the four a one-statement ORM session costs. Errors are re-raised as Optuna's
        ``StorageInternalError``, as its sessions do."""
        try:
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise optuna.exceptions.StorageInternalError(
                "An exception is raised during the read or write of a trial."
            ) from exc

    def _get_trials(
        self,
        study_id: int,
        states: Container[TrialState] | None,
        included_trial_ids: set[int],
        trial_id_greater_than: int,
    ) -> list[FrozenTrial]:
        sql, params = trials_statement(states, included_trial_ids, trial_id_greater_than)
        with self._single_statement() as conn:
            rows = conn.execute(sql, {"sid": study_id, **params}).all()
        if not rows:
            raise KeyError(models.NOT_FOUND_MSG)  # no such study, as Optuna's reader says
        return [frozen_trial(r) for r in rows if r.trial_id is not None]

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._single_statement() as conn:
            row = conn.execute(TRIAL_STATEMENT, {"tid": trial_id}).one_or_none()
        if row is None:
            raise KeyError(models.NOT_FOUND_MSG)
        return frozen_trial(row)

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        with self._single_statement() as conn:
            written = conn.execute(
                SET_INTERMEDIATE, intermediate_params(trial_id, step, intermediate_value)
            ).rowcount
        if not written:  # missing or finished trial: Optuna's path raises the proper error
            super().set_trial_intermediate_value(trial_id, step, intermediate_value)

    # overrides ------------------------------------------------------------------------------
    def _create_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None = None
    ) -> FrozenTrial:
        claim = getattr(_CLAIM, "value", None)
        if claim is None or template_trial is not None:
            return super()._create_new_trial(study_id, template_trial)
        limit, attrs = claim
        # Optuna retries trial creation on deadlock/timeouts; so do we
        for attempt in range(5):
            try:
                return self._claim_new_trial(study_id, limit, attrs)
            except optuna.exceptions.StorageInternalError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _claim_new_trial(self, study_id: int, limit: int, attrs: dict[str, Any]) -> FrozenTrial:
        """Lock the study row (a statement of its own, so that the next one's snapshot sees every
        trial committed before the lock was ours), then take the slot, insert and number the
        trial and write its first heartbeat, slot and user attrs in one statement."""
        start = datetime.now(UTC).replace(tzinfo=None)  # Optuna stores naive UTC
        params: dict[str, Any] = {
            "sid": study_id,
            "key": SLOTS_ATTR,
            "limit": limit,
            "start": start,
            "slot_key": TRIAL_SLOT_ATTR,
            **_attr_params(attrs),
        }
        try:
            with self.engine.begin() as conn:
                if conn.execute(_LOCK_STUDY, {"sid": study_id}).first() is None:
                    raise KeyError(models.NOT_FOUND_MSG)
                row = conn.execute(sqlalchemy.text(_claim_sql(len(attrs))), params).first()
                if row is None:  # rolls the transaction back
                    raise NoTrialSlot(f"all {limit} trial slots of study {study_id} are taken")
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise optuna.exceptions.StorageInternalError(
                "An exception is raised while creating a trial."
            ) from exc
        return FrozenTrial(
            number=row.number,
            state=TrialState.RUNNING,
            value=None,
            values=None,
            datetime_start=local_naive(start),
            datetime_complete=None,
            params={},
            distributions={},
            user_attrs=dict(attrs),
            system_attrs={TRIAL_SLOT_ATTR: int(row.slot)},
            intermediate_values={},
            trial_id=row.trial_id,
        )

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        claim = getattr(_CLAIM, "value", None)
        staged = self._staged.get(trial_id) if state.is_finished() else None
        popping = state == TrialState.RUNNING and claim is not None
        if staged is None and not popping:
            return super().set_trial_state_values(trial_id, state, values)
        try:
            with _create_scoped_session(self.scoped_session) as session:
                trial = models.TrialModel.find_or_raise_by_id(trial_id, session, for_update=True)
                self.check_trial_is_updatable(trial_id, trial.state)
                if values is not None:
                    for objective, v in enumerate(values):
                        self._set_trial_value_without_commit(session, trial, objective, v)
                if state == TrialState.RUNNING and trial.state != TrialState.WAITING:
                    return False
                if popping:
                    self._write_start(session, trial_id, claim[1])
                if staged is not None:
                    attrs, give_back = staged
                    if attrs:
                        session.execute(
                            sqlalchemy.text(_upsert_attrs_sql(len(attrs))),
                            {"tid": trial_id, **_attr_params(attrs)},
                        )
                    if give_back:
                        session.execute(_GIVE_SLOT, {"sid": trial.study_id, "key": SLOTS_ATTR})
                trial.state = state
                if state == TrialState.RUNNING:
                    trial.datetime_start = datetime.now()
                if state.is_finished():
                    trial.datetime_complete = datetime.now()
        except sqlalchemy.exc.IntegrityError:
            return False
        finally:
            if staged is not None:
                self._staged.pop(trial_id, None)
        return True

    def _write_start(self, session: Any, trial_id: int, attrs: dict[str, Any]) -> None:
        """First heartbeat and user attrs of a popped trial that starts running, as one statement
        (the heartbeat as a data-modifying CTE)."""
        parts = [_HEARTBEAT]
        params: dict[str, Any] = {"tid": trial_id}
        if attrs:
            parts.append(_upsert_attrs_sql(len(attrs)))
            params.update(_attr_params(attrs))
        ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(parts[:-1]))
        sql = (f"WITH {ctes} " if ctes else "") + parts[-1]
        session.execute(sqlalchemy.text(sql), params)
