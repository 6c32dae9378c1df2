"""Entry point ``geoarena.plugins: sweeps``: the HPO-then-seeds wrappers that suites name.

A suite entry may list ``<pkg>/hpo-<name>`` for a registered model ``<pkg>/<name>`` (the
GEO-Bench-2 protocol: a search on validation, then the cell's seed — ``hpo_model``). This
plugin loads after the packages that define suites and models, and registers each such name
once, declaring what the wrapped model declares.
"""

from __future__ import annotations


def register() -> None:
    from geoarena.core.registry import MODELS, SUITES

    wanted = {
        model
        for suite in SUITES.names()
        for entry in SUITES.get(suite).entries
        for model in entry.models
        if "/hpo-" in model
    }
    for name in sorted(wanted):
        base = name.replace("/hpo-", "/", 1)
        if name in MODELS or base not in MODELS:
            continue
        meta = MODELS.meta(base)

        def factory(_name: str = name, _base: str = base, **model_kwargs):
            from geoarena.sweeps.hpo_model import HPOAdapter

            return HPOAdapter(_name, _base, **model_kwargs)

        MODELS.add(
            name,
            factory,
            kinds=meta.get("kinds"),
            protocols=meta.get("protocols", ("finetune",)),
            train_keys=meta.get("train_keys", "all"),
            family="hpo",
            backbone=base,
        )
