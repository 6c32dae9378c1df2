"""Entry point ``geoarena.plugins: nlp``: registers the package's tasks, models and suites."""

from __future__ import annotations


def register() -> None:
    # each module registers its names on import, beside the code
    from geoarena.nlp import adapters, conll_ner, ner_training, outlet_homes, tasks  # noqa: F401
