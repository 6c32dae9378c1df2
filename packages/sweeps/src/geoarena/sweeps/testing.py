"""Test and benchmark helpers for sweeps: throwaway PostgreSQL databases, study inspection.

``throwaway_database()`` creates ``geoarena_test_<random>`` on the server named by
``$GEOARENA_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and drops it
afterwards (``WITH (FORCE)``, so connections left by killed workers do not block the drop).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("GEOARENA_TEST_PG", DEFAULT_ADMIN_URL)


def _connect(url: str):
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=5)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
    return conn


@contextlib.contextmanager
def throwaway_database(prefix: str = "geoarena_test") -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it on exit."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = admin_url()
    conn = _connect(admin)
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        conn = _connect(admin)
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()
