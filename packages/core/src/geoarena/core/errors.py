"""Exceptions with messages a user can act on."""

from __future__ import annotations

from pathlib import Path


class GeoArenaError(Exception):
    """Base class of every error the harness raises on purpose."""


class ConfigError(GeoArenaError, ValueError):
    """A configuration value, override or name is wrong."""


class DataError(GeoArenaError):
    """Input data is missing, corrupt or does not match what the task expects.

    The message always names the offending file (when there is one) and the problem.
    """

    def __init__(self, problem: str, path: str | Path | None = None):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path is not None else problem)


class NotInstalledError(GeoArenaError, ImportError):
    """A registered name belongs to a package (or extra) that is not installed."""


class UnknownNameError(ConfigError, KeyError):
    """A task, model, protocol or suite name is not in its registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(ConfigError):
    """Two different objects were registered under one name."""


class Pruned(GeoArenaError):
    """Raised from an epoch callback to stop a run early (Optuna pruning)."""
