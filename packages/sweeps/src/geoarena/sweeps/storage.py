"""Optuna storages for sweeps, chosen by URL, and a cross-process lock per study.

| URL | storage | for |
|---|---|---|
| ``memory`` | ``InMemoryStorage`` (one per process) | tests, threads of one process |
| ``""`` / ``journal:PATH`` / ``PATH.journal`` | ``JournalStorage(JournalFileBackend)`` | one machine (default, embedded) |
| ``sqlite:///PATH`` | ``RDBStorage`` | one machine |
| ``postgresql://…`` | ``RDBStorage`` + heartbeat + retry of stale trials + sized pool | clusters |

Every failure to reach a storage becomes a :class:`StorageError` that names the (password-free)
URL and what to do, within ``connect_timeout_s`` — never a hang.

The :func:`study_lock` serialises the few once-per-worker read-modify-write steps a sweep needs
(create the MLflow parent run once, enqueue suite cells once; on file and in-memory storages also
the per-trial claim — on PostgreSQL a trial slot is claimed without it, see
``geoarena.sweeps.rdb``): a PostgreSQL
advisory lock on a dedicated connection (released by the server if the worker dies), an
``flock`` beside file storages, a thread lock in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoarena.core.errors import ConfigError, GeoArenaError

DEFAULT_JOURNAL = "optuna.journal"


class StorageError(GeoArenaError):
    """The sweep storage cannot be reached or used (wrong URL, server down, missing database)."""


@dataclass(frozen=True)
class StorageOptions:
    """How a worker talks to an RDB storage.

    Attributes:
        heartbeat_s: a running trial writes a heartbeat this often (PostgreSQL/SQLite only).
        grace_s: a trial whose heartbeat is older than this is failed by any other worker
            (default ``3 * heartbeat_s``).
        max_retries: a trial failed by heartbeat is re-queued (same params) at most this often.
        pool_size, max_overflow: SQLAlchemy pool of *one* worker. A worker uses one connection for
            the study, one for the heartbeat thread and one for the lock: 2 + 2 is ample, and
            ``workers * (pool_size + max_overflow + 1)`` must stay below the server's
            ``max_connections`` (100 by default).
        connect_timeout_s: give up connecting after this long (clear error, no hang).
    """

    heartbeat_s: int = 10
    grace_s: int | None = None
    max_retries: int = 2
    pool_size: int = 2
    max_overflow: int = 2
    connect_timeout_s: int = 10


def storage_kind(url: str) -> str:
    """``memory``, ``journal``, ``sqlite`` or ``postgresql`` for a storage URL; ``ConfigError``
    for anything else."""
    if url in ("memory", ":memory:", "inmemory"):
        return "memory"
    if url == "" or url.startswith("journal:") or url.endswith((".journal", ".log")):
        return "journal"
    if url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
        return "postgresql"
    raise ConfigError(
        f"unsupported sweep storage {redact(url)!r}: use 'memory', a journal file "
        "('journal:PATH' or 'PATH.journal'; default ./optuna.journal), 'sqlite:///PATH' or "
        "'postgresql://USER@HOST:PORT/DB'"
    )


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def journal_path(url: str) -> Path:
    if url == "":
        return Path(DEFAULT_JOURNAL).resolve()
    return Path(url.removeprefix("journal:")).expanduser().resolve()


def _pg_url(url: str) -> str:
    return sqlalchemy_url(url)


def sqlalchemy_url(url: str) -> str:
    """Pin PostgreSQL URLs to the psycopg2 driver we install: SQLAlchemy 2.1 maps a bare
    ``postgresql://`` to psycopg 3, and no longer accepts the ``postgres://`` alias at all.
    Other URLs (and ones naming a driver) pass through."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url.removeprefix(prefix)
    return url


def _engine_kwargs(kind: str, opts: StorageOptions) -> dict[str, Any]:
    if kind != "postgresql":
        return {}
    return {
        "pool_size": opts.pool_size,
        "max_overflow": opts.max_overflow,
        # a connection that died with a restarted server is replaced, not handed out broken
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": opts.connect_timeout_s},
    }


def check_reachable(url: str, opts: StorageOptions = StorageOptions()) -> None:
    """Open and close one connection to an RDB storage; ``StorageError`` saying why it failed."""
    kind = storage_kind(url)
    if kind not in ("postgresql", "sqlite"):
        return
    import sqlalchemy
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    try:
        engine = sqlalchemy.create_engine(
            _pg_url(url),
            poolclass=sqlalchemy.pool.NullPool,
            connect_args={"connect_timeout": opts.connect_timeout_s}
            if kind == "postgresql"
            else {},
        )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StorageError(f"malformed sweep storage URL {redact(url)!r}: {exc}") from None
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        hint = ""
        if "does not exist" in reason and kind == "postgresql":
            db = url.rsplit("/", 1)[-1].split("?", 1)[0]
            hint = f" (create it once: createdb -h HOST -U USER {db})"
        elif kind == "postgresql":
            hint = (
                f" (is PostgreSQL running and reachable? gave up after {opts.connect_timeout_s} s;"
                " check host, port, user and password)"
            )
        raise StorageError(
            f"cannot connect to sweep storage {redact(url)}: {reason}{hint}"
        ) from None
    finally:
        engine.dispose()


def open_storage(url: str, opts: StorageOptions = StorageOptions()) -> Any:
    """The Optuna storage for ``url`` (see the module table).

    PostgreSQL and SQLite get heartbeats: a trial whose worker died is failed after ``grace_s``
    by the next worker that looks, and ``RetryHeartbeatStaleTrialCallback`` (the Optuna 5 name
    of ``RetryFailedTrialCallback``) queues it again with the same parameters.
    """
    import optuna

    kind = storage_kind(url)
    if kind == "memory":
        # one store per process, so that every worker thread (and a later open) sees the study
        with _THREAD_LOCKS_GUARD:
            if "memory" not in _MEMORY:
                _MEMORY["memory"] = optuna.storages.InMemoryStorage()
            return _MEMORY["memory"]
    if kind == "journal":
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = journal_path(url)
        if not path.parent.is_dir():
            raise StorageError(f"journal storage folder {path.parent} does not exist")
        return JournalStorage(JournalFileBackend(str(path)))
    check_reachable(url, opts)
    from sqlalchemy.exc import SQLAlchemyError

    if kind == "postgresql":
        # trial slots claimed inside Optuna's trial-creation transaction (see sweep_rdb)
        from geoarena.sweeps.rdb import SweepRDBStorage as storage_cls
    else:
        storage_cls = optuna.storages.RDBStorage
    # The first worker on a fresh database creates Optuna's tables; several doing it at once
    # collide on PostgreSQL's catalog, so creation runs under a database-wide advisory lock.
    with _init_lock(url, opts):
        try:
            return storage_cls(**rdb_kwargs(url, opts))
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot open sweep storage {redact(url)}: {exc}") from None


def rdb_kwargs(url: str, opts: StorageOptions = StorageOptions()) -> dict[str, Any]:
    """Keyword arguments of Optuna's ``RDBStorage`` for a sweep on ``url``: driver-pinned URL,
    sized pool with pre-ping and connect timeout, heartbeat, grace period and the stale-trial
    retry callback (``benchmarks/sweep_scaling.py`` gives raw Optuna the very same)."""
    grace = opts.grace_s if opts.grace_s is not None else 3 * opts.heartbeat_s
    return {
        "url": _pg_url(url),
        "engine_kwargs": _engine_kwargs(storage_kind(url), opts),
        "heartbeat_interval": opts.heartbeat_s,
        "grace_period": grace,
        "heartbeat_stale_trial_callback": StaleTrialCallback(opts.max_retries),
    }


class StaleTrialCallback:
    """Runs when a worker fails a trial whose heartbeat went stale: re-queues it with the same
    parameters (``RetryHeartbeatStaleTrialCallback``, at most ``max_retries`` times), then calls
    each listener ``(study, frozen_trial)`` — the sweep adds one that closes the trial's MLflow
    run as FAILED."""

    def __init__(self, max_retries: int):
        from optuna.storages import RetryHeartbeatStaleTrialCallback

        self.retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retries)
        self.max_retries = max_retries
        self.listeners: list[Any] = []

    def __call__(self, study: Any, trial: Any) -> None:
        self.retry(study, trial)
        if not will_retry(trial, self.max_retries):
            give_slot_back(study, trial)
        for listener in self.listeners:
            listener(study, trial)


def will_retry(trial: Any, max_retries: int | None) -> bool:
    """Whether ``RetryHeartbeatStaleTrialCallback(max_retry=max_retries)`` re-queues ``trial``
    (its rule: at most ``max_retries`` entries in the retry history)."""
    history = [*trial.system_attrs.get("retry_history", []), trial.number]
    return max_retries is None or max_retries >= len(history)


def give_slot_back(study: Any, trial: Any) -> None:
    """``trial`` failed for good: on PostgreSQL its trial slot (if it held one) is free again, so
    another worker replaces it (see ``geoarena.sweeps.rdb``)."""
    from geoarena.sweeps.rdb import TRIAL_SLOT_ATTR

    backend = getattr(study._storage, "_backend", study._storage)
    if TRIAL_SLOT_ATTR in trial.system_attrs and hasattr(backend, "give_slot_back"):
        backend.give_slot_back(study._study_id)


@contextlib.contextmanager
def _init_lock(url: str, opts: StorageOptions) -> Iterator[None]:
    if storage_kind(url) != "postgresql":
        yield
        return
    with study_lock(url, "__optuna_schema__", opts):
        yield


def _lock_key(name: str) -> int:
    # pg advisory locks take a signed 64-bit key
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


_THREAD_LOCKS: dict[str, threading.RLock] = {}
_MEMORY: dict[str, Any] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


class StudyLock:
    """A re-usable cross-process lock for one study on one storage (see module docstring).

    Use as ``with lock: …``. For PostgreSQL the lock keeps one dedicated connection open.
    """

    def __init__(self, url: str, name: str, opts: StorageOptions = StorageOptions()):
        self.url = url
        self.name = name
        self.kind = storage_kind(url)
        self._opts = opts
        self._conn: Any = None
        self._engine: Any = None
        self._fd: int | None = None
        if self.kind == "memory":
            with _THREAD_LOCKS_GUARD:
                self._tlock = _THREAD_LOCKS.setdefault(name, threading.RLock())

    def _pg_conn(self) -> Any:
        if self._conn is None:
            import sqlalchemy

            self._engine = sqlalchemy.create_engine(
                _pg_url(self.url),
                poolclass=sqlalchemy.pool.NullPool,
                connect_args={"connect_timeout": self._opts.connect_timeout_s},
            )
            # autocommit: a session-level advisory lock must not sit inside an open transaction
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _lock_file(self) -> Path:
        if self.kind == "journal":
            base = journal_path(self.url)
        else:
            base = Path(self.url.removeprefix("sqlite:///")).resolve()
        safe = hashlib.sha256(self.name.encode()).hexdigest()[:12]
        return base.with_name(f"{base.name}.{safe}.lock")

    def __enter__(self) -> StudyLock:
        if self.kind == "memory":
            self._tlock.acquire()
        elif self.kind == "postgresql":
            import sqlalchemy

            self._pg_conn().execute(
                sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(self.name)}
            )
        else:
            self._fd = os.open(self._lock_file(), os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.kind == "memory":
            self._tlock.release()
        elif self.kind == "postgresql":
            import sqlalchemy

            self._pg_conn().execute(
                sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(self.name)}
            )
        elif self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._engine.dispose()
            self._conn = self._engine = None


@contextlib.contextmanager
def study_lock(url: str, name: str, opts: StorageOptions = StorageOptions()) -> Iterator[None]:
    """One-shot form of :class:`StudyLock`."""
    lock = StudyLock(url, name, opts)
    try:
        with lock:
            yield
    finally:
        lock.close()
