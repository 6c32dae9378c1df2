"""Experiment files: one Python file per study.

An experiment file defines

- ``config() -> RunConfig`` — the base configuration (required);
- ``space(trial, cfg) -> RunConfig`` — define-by-run search space: call ``trial.suggest_*`` and
  return the changed config (required for sweeps);
- ``SWEEP = SweepConfig(...)`` — defaults for the sweep (metrics, directions, sampler, pruner,
  seeds); command-line flags override them (optional);
- ``run(cfg, tracker=None, parent_id=None, on_epoch=None, tags=None)`` — the function that runs
  one configuration (optional; default ``geoarena.core.runner.run``). Only toy experiments that
  exercise the sweep machinery itself replace it.

Its docstring states the command, the expected runtime and the expected result (big_vision).
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoarena.core.config import RunConfig, SweepConfig
from geoarena.core.errors import ConfigError

RunFn = Callable[..., Any]
SpaceFn = Callable[[Any, RunConfig], RunConfig]


@dataclass
class Experiment:
    """A loaded experiment file."""

    name: str
    path: Path | None
    config: Callable[[], RunConfig]
    space: SpaceFn | None
    sweep: SweepConfig = field(default_factory=SweepConfig)
    run_fn: RunFn | None = None
    doc: str = ""

    def run(self) -> RunFn:
        """The function that runs one configuration (the harness runner unless overridden)."""
        if self.run_fn is not None:
            return self.run_fn
        from geoarena.core.runner import run

        return run

    def base_config(self) -> RunConfig:
        cfg = self.config()
        if not isinstance(cfg, RunConfig):
            raise ConfigError(
                f"experiment {self.name}: config() must return a RunConfig, got {type(cfg).__name__}"
            )
        return cfg

    def sample(self, trial: Any, base: RunConfig | None = None) -> RunConfig:
        """The configuration of ``trial``: ``space(trial, copy of base config)``."""
        if self.space is None:
            raise ConfigError(f"experiment {self.name} has no space(trial, cfg): nothing to sweep")
        cfg = copy.deepcopy(base if base is not None else self.base_config())
        out = self.space(trial, cfg)
        return cfg if out is None else out


def load_experiment(path: str | Path) -> Experiment:
    """Import an experiment file by path (``ConfigError`` naming what is missing)."""
    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise ConfigError(f"experiment file {p} does not exist")
    mod_name = f"geoarena_experiment_{p.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, p)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{p}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    # registered so that pickling/spawned workers can find functions defined in the file
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:  # also raised for bytes that are not UTF-8
        sys.modules.pop(mod_name, None)
        raise ConfigError(f"{p}: not a valid Python file (line {exc.lineno}: {exc.msg})") from None
    except Exception as exc:  # the file's own code failed on import: say where, not a traceback
        sys.modules.pop(mod_name, None)
        detail = " ".join(str(exc).split())[:300]
        raise ConfigError(f"{p}: importing it raised {type(exc).__name__}: {detail}") from None
    return experiment_from_module(module, name=p.stem, path=p)


def experiment_from_module(module: Any, name: str, path: Path | None = None) -> Experiment:
    config = getattr(module, "config", None)
    if not callable(config):
        raise ConfigError(f"experiment {path or name}: defines no config() -> RunConfig")
    sweep = getattr(module, "SWEEP", None)
    if sweep is None:
        sweep = SweepConfig()
    if not isinstance(sweep, SweepConfig):
        raise ConfigError(f"experiment {path or name}: SWEEP must be a SweepConfig")
    return Experiment(
        name=name,
        path=path,
        config=config,
        space=getattr(module, "space", None),
        sweep=copy.deepcopy(sweep),
        run_fn=getattr(module, "run", None),
        doc=(module.__doc__ or "").strip(),
    )
