"""Entry point ``geoarena.plugins: nlp``: registers the package's tasks, models and suites."""

from __future__ import annotations


def register() -> None:
    from geoarena.nlp import tasks  # noqa: F401 - registers on import
