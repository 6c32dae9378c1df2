"""GeoArena harness core: knows no modality.

Public names are imported lazily so that ``import geoarena.core`` stays light (no torch, mlflow
or optuna at import time).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Task": "geoarena.core.task",
    "DataModule": "geoarena.core.task",
    "DataContext": "geoarena.core.task",
    "ModelCard": "geoarena.core.model",
    "ModelAdapter": "geoarena.core.model",
    "EvalProtocol": "geoarena.core.protocol",
    "Metric": "geoarena.core.metrics",
    "Tracker": "geoarena.core.tracking",
    "NullTracker": "geoarena.core.tracking",
    "TASKS": "geoarena.core.registry",
    "MODELS": "geoarena.core.registry",
    "PROTOCOLS": "geoarena.core.registry",
    "SUITES": "geoarena.core.registry",
    "RunConfig": "geoarena.core.config",
    "TrainConfig": "geoarena.core.config",
    "SweepConfig": "geoarena.core.config",
    "run": "geoarena.core.runner",
    "RunResult": "geoarena.core.runner",
    "Suite": "geoarena.core.suite",
    "SuiteEntry": "geoarena.core.suite",
    "GeoArenaError": "geoarena.core.errors",
    "DataError": "geoarena.core.errors",
    "ConfigError": "geoarena.core.errors",
    "NotInstalledError": "geoarena.core.errors",
    "Pruned": "geoarena.core.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'geoarena.core' has no attribute {name!r}")
