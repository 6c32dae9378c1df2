"""Shared fixtures of geoarena-sweeps tests."""

from __future__ import annotations

import pytest

from geoarena.sweeps.testing import throwaway_database


@pytest.fixture
def optuna_db():
    """A throwaway database on the test PostgreSQL server (127.0.0.1:5432, or
    $GEOARENA_TEST_PG), dropped after the test."""
    with throwaway_database() as url:
        yield url
