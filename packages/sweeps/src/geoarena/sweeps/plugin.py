"""Entry point ``geoarena.plugins: sweeps``: the HPO-then-seeds wrappers that suites name.

A suite entry may list ``<pkg>/hpo-<name>`` for a registered model ``<pkg>/<name>`` (the
GEO-Bench-2 protocol: a search on validation, then the cell's seed — ``hpo_model``). This
plugin loads after the packages that define suites and models, and registers each such name
once, declaring what the wrapped model declares.
"""

from __future__ import annotations


def make_hpo(name: str, **model_kwargs):
    """``<pkg>/hpo-<name>``: an HPO search of ``<pkg>/<name>`` then the cell's seed."""
    from geoarena.sweeps.hpo_model import HPOAdapter

    return HPOAdapter(name, _base(name), **model_kwargs)


def _base(name: str) -> str:
    return name.replace("/hpo-", "/", 1)


def register() -> None:
    from geoarena.core.registry import MODELS, SUITES

    wanted = {
        model
        for suite in SUITES.names()
        for entry in SUITES.get(suite).entries
        for model in entry.models
        if "/hpo-" in model
    }
    # the wrapped models are known only once the suites are, so the table is built here; a
    # name a package registered itself is left to it
    MODELS.register_each(
        sorted(n for n in wanted if _base(n) in MODELS and n not in MODELS),
        name=lambda n: n,
        meta=lambda n: {
            "kinds": MODELS.meta(_base(n)).get("kinds"),
            "protocols": MODELS.meta(_base(n)).get("protocols", ("finetune",)),
            "train_keys": MODELS.meta(_base(n)).get("train_keys", "all"),
            "backbone": _base(n),
        },
        family="hpo",
    )(make_hpo)
