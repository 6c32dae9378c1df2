"""Exclusive claims on suite cells, so concurrent suite runs on one store train a cell once.

A claim is a lock keyed by the cell's config hash that lives exactly as long as the process
holding it: an ``flock`` on ``<db>.claims/<hash>.lock`` beside a SQLite store, or a PostgreSQL
session advisory lock on a PostgreSQL store. Neither needs a lease timeout: the kernel or the
database server releases the lock the moment the holder dies (``kill -9`` included), so a dead
holder's claim is free immediately, and a cell run left RUNNING by a dead process is
recognisable as one whose claim nobody holds. A tracker may bring claims of its own through a
``cell_claims()`` method: the MLflow tracker (``geoarena.store``) does for a tracking server
(several machines), where a claim is a uniquely named experiment with a heartbeat and a dead
holder's claim expires after its time-to-live.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class Claim:
    """A held claim; ``release()`` (or leaving the ``with`` block) frees it."""

    def __init__(self, key: str, release: Any):
        self.key = key
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class CellClaims:
    """Claims on the cells of one tracking store (see the module docstring for the backends)."""

    def __init__(self, tracking_uri: str, local_dir: str | Path | None = None):
        self.tracking_uri = tracking_uri
        self._pg_url = None
        if tracking_uri.startswith(("postgresql", "postgres:")):
            self._pg_url = tracking_uri
            self.where = "PostgreSQL advisory locks"
            return
        if tracking_uri.startswith("sqlite:///"):
            folder = Path(f"{tracking_uri.removeprefix('sqlite:///')}.claims")
        else:  # another store: this machine's processes coordinate through a local folder
            from geoarena.core.task import default_cache_dir

            digest = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
            folder = Path(local_dir or default_cache_dir() / "claims") / digest
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.where = str(folder)

    # -- acquiring ------------------------------------------------------------------------------
    def try_claim(self, key: str) -> Claim | None:
        """The claim on ``key`` if nobody holds it, else ``None`` (never waits)."""
        return self._pg(key, wait=False) if self._pg_url else self._flock(key, wait=False)

    def wait_claim(self, key: str) -> Claim:
        """The claim on ``key``, waiting for its holder to finish (or die)."""
        claim = self._pg(key, wait=True) if self._pg_url else self._flock(key, wait=True)
        assert claim is not None
        return claim

    def is_free(self, key: str) -> bool:
        """Nobody holds ``key`` now (used to recognise runs of dead processes)."""
        claim = self.try_claim(key)
        if claim is None:
            return False
        claim.release()
        return True

    # -- backends -------------------------------------------------------------------------------
    def _flock(self, key: str, wait: bool) -> Claim | None:
        import fcntl

        path = self.folder / f"{_safe(key)}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for a human looking at a stuck suite

        def release() -> None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

        return Claim(key, release)

    def _pg(self, key: str, wait: bool) -> Claim | None:
        import psycopg2
        from sqlalchemy.engine import make_url

        u = make_url(self._pg_url)
        conn = psycopg2.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            connect_timeout=10,
        )
        conn.autocommit = True
        lock_id = _lock_id(key)
        with conn.cursor() as cur:
            if wait:
                cur.execute("SELECT pg_advisory_lock(%s)", (lock_id,))
                got = True
            else:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (lock_id,))
                got = bool(cur.fetchone()[0])
        if not got:
            conn.close()
            return None
        # the lock belongs to this session: closing the connection (or dying) releases it
        return Claim(key, conn.close)


def claims_for(tracker: Any) -> CellClaims | None:
    """Claims for ``tracker``'s store; ``None`` for in-memory trackers and for multi-process
    (torchrun/srun) runs, whose ranks must all run the same cells together."""
    from geoarena.core.world import world_from_env

    uri = getattr(tracker, "tracking_uri", None)
    if not uri or world_from_env().size > 1:
        return None
    own = getattr(tracker, "cell_claims", None)
    return own() if own is not None else CellClaims(str(uri))


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:120]


def _lock_id(key: str) -> int:
    """A signed 64-bit id for ``pg_advisory_lock`` from the key (config hashes are hex)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
