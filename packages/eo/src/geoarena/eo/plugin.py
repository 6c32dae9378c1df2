"""Entry point ``geoarena.plugins: eo``: registers EO tasks, models and suite entries.

Each import below registers the names defined beside its code (``@TASKS.register`` /
``@MODELS.register_each``); the model half lives under ``geoarena.eo.models``.
"""

from __future__ import annotations


def register() -> None:
    from geoarena.eo.baselines import registry as baselines  # noqa: F401  (registers on import)
    from geoarena.eo.data import embedded_tasks, eurosat, geobench, suite_entries  # noqa: F401  (register on import)
    from geoarena.eo.geobench2 import suite as geobench2_suite
    from geoarena.eo.geobench2 import tasks as geobench2_tasks  # noqa: F401  (registers on import)
    from geoarena.eo.models import register_all as register_models

    register_models()
    geobench.register()
    geobench2_suite.register()
    suite_entries.register()
