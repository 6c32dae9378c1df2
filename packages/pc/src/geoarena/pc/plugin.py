"""Entry point ``geoarena.plugins: pc``: registers point-cloud tasks, models and suite entries."""

from __future__ import annotations


def register() -> None:
    from geoarena.pc import registry, tasks  # noqa: F401  (tasks register on import)

    registry.register_suites()
