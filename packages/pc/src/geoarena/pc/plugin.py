"""Entry point ``geoarena.plugins: pc``: registers point-cloud tasks, models and suite entries."""

from __future__ import annotations


def register() -> None:
    from geoarena.pc import registry, tasks

    tasks.register()
    registry.register_suites()
