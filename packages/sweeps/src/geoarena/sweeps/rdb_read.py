"""Read trials from Optuna's PostgreSQL schema in one statement.

Optuna's ``RDBStorage._get_trials`` loads trials through the SQLAlchemy ORM: one query for the
study, one for the trials and one ``selectinload`` per child table (params, values, user attrs,
system attrs, intermediate values) — 7 statements and an ORM object per row. A sweep worker reads
the study's trials several times per trial (``ask`` looks for WAITING trials, the sampler reads
the history, the pruner reads it again at every reported epoch), so on a server those reads are
most of a cheap trial's time and CPU. Here PostgreSQL aggregates each trial's child rows into JSON
arrays and the whole read is one statement, decoded into the same ``FrozenTrial`` objects Optuna
builds (same value decoding, same naive-local datetimes; a parity test compares the two readers
field by field on a study holding every kind of value).

Only the read path changes: the tables, the writes and the locking stay Optuna's.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Container, Iterable
from typing import Any

import sqlalchemy
from optuna import distributions
from optuna.storages._rdb import models
from optuna.trial import FrozenTrial, TrialState

#: each trial's child rows as JSON arrays (``NULL`` when it has none), ordered like Optuna's reader
_CHILDREN = """
  (SELECT json_agg(json_build_array(p.param_name, p.param_value, p.distribution_json)
                   ORDER BY p.param_id)
     FROM trial_params p WHERE p.trial_id = t.trial_id) AS params,
  (SELECT json_agg(json_build_array(v.objective, v.value, CAST(v.value_type AS TEXT)))
     FROM trial_values v WHERE v.trial_id = t.trial_id) AS vals,
  (SELECT json_agg(json_build_array(a.key, a.value_json))
     FROM trial_user_attributes a WHERE a.trial_id = t.trial_id) AS user_attrs,
  (SELECT json_agg(json_build_array(a.key, a.value_json))
     FROM trial_system_attributes a WHERE a.trial_id = t.trial_id) AS system_attrs,
  (SELECT json_agg(json_build_array(i.step, i.intermediate_value,
                                    CAST(i.intermediate_value_type AS TEXT)))
     FROM trial_intermediate_values i WHERE i.trial_id = t.trial_id) AS intermediate
"""
_TRIAL_COLUMNS = (
    "t.trial_id, t.number, CAST(t.state AS TEXT) AS state, "
    "t.datetime_start, t.datetime_complete, " + _CHILDREN
)


def trials_statement(
    states: Container[TrialState] | None,
    included_trial_ids: Iterable[int],
    trial_id_greater_than: int,
) -> tuple[sqlalchemy.TextClause, dict[str, Any]]:
    """The statement (and its parameters, ``sid`` still to add) that reads a study's trials with
    the filters of ``RDBStorage._get_trials``.

    The study is the driving row and the trials are LEFT JOINed, so a study without matching
    trials gives one row with a NULL trial and a missing study gives none (Optuna raises
    ``KeyError`` for that, so do we) — the existence check costs no extra statement.
    """
    join = ["t.study_id = s.study_id"]
    params: dict[str, Any] = {}
    if states is not None:
        params["states"] = [s.name for s in states]  # type: ignore[union-attr]
        join.append("CAST(t.state AS TEXT) = ANY(:states)")
    # as in Optuna: only ids at or below the bound are "included"; newer ones come via the bound
    included = sorted(i for i in included_trial_ids if i <= trial_id_greater_than)
    if included and trial_id_greater_than > -1:
        params["included"], params["gt"] = included, trial_id_greater_than
        join.append("(t.trial_id = ANY(:included) OR t.trial_id > :gt)")
    elif trial_id_greater_than > -1:
        params["gt"] = trial_id_greater_than
        join.append("t.trial_id > :gt")
    sql = (
        f"SELECT {_TRIAL_COLUMNS} FROM studies s LEFT JOIN trials t ON {' AND '.join(join)} "
        "WHERE s.study_id = :sid ORDER BY t.trial_id"
    )
    return sqlalchemy.text(sql), params


TRIAL_STATEMENT = sqlalchemy.text(f"SELECT {_TRIAL_COLUMNS} FROM trials t WHERE t.trial_id = :tid")


def local_naive(utc: _dt.datetime | None) -> _dt.datetime | None:
    """Optuna's stored naive UTC as the naive local time it hands out (``TrialModel``)."""
    if utc is None:
        return None
    return utc.replace(tzinfo=_dt.UTC).astimezone().replace(tzinfo=None)


def frozen_trial(row: Any) -> FrozenTrial:
    """A ``FrozenTrial`` from one row of :func:`trials_statement` / :data:`TRIAL_STATEMENT`,
    decoded exactly as ``RDBStorage._build_frozen_trial_from_trial_model`` decodes the ORM rows."""
    values = None
    if row.vals:
        values = [0.0] * len(row.vals)
        for objective, value, kind in row.vals:
            values[objective] = models.TrialValueModel.stored_repr_to_value(
                value, models.TrialValueModel.TrialValueType[kind]
            )
    params, dists = {}, {}
    for name, internal, dist_json in row.params or ():
        dist = distributions.json_to_distribution(dist_json)
        params[name] = dist.to_external_repr(internal)
        dists[name] = dist
    ivt = models.TrialIntermediateValueModel.TrialIntermediateValueType
    return FrozenTrial(
        number=row.number,
        state=TrialState[row.state],
        value=None,
        values=values,
        datetime_start=local_naive(row.datetime_start),
        datetime_complete=local_naive(row.datetime_complete),
        params=params,
        distributions=dists,
        user_attrs={k: json.loads(v) for k, v in row.user_attrs or ()},
        system_attrs={k: json.loads(v) for k, v in row.system_attrs or ()},
        intermediate_values={
            step: models.TrialIntermediateValueModel.stored_repr_to_intermediate_value(
                value, ivt[kind]
            )
            for step, value, kind in row.intermediate or ()
        },
        trial_id=row.trial_id,
    )


#: report one intermediate value in one statement; no row is written (rowcount 0) unless the trial
#: exists and is still updatable, and the caller then takes Optuna's path for the proper error
SET_INTERMEDIATE = sqlalchemy.text(
    "INSERT INTO trial_intermediate_values "
    "(trial_id, step, intermediate_value, intermediate_value_type) "
    "SELECT t.trial_id, :step, :value, CAST(:kind AS trialintermediatevaluetype) "
    "FROM trials t WHERE t.trial_id = :tid AND CAST(t.state AS TEXT) IN ('RUNNING', 'WAITING') "
    "ON CONFLICT (trial_id, step) DO UPDATE SET "
    "intermediate_value = EXCLUDED.intermediate_value, "
    "intermediate_value_type = EXCLUDED.intermediate_value_type"
)


def intermediate_params(trial_id: int, step: int, value: float) -> dict[str, Any]:
    stored, kind = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr(value)
    return {"tid": trial_id, "step": step, "value": stored, "kind": kind.name}
