"""Benchmark suites: fixed grids of (task × model × protocol × label fraction × seed) cells.

Each package contributes entries with ``extend_suite("default", SuiteEntry(...))`` from its
plugin. ``run_suite`` runs the cells under one MLflow parent run, skipping cells that already
have a FINISHED run with the same config hash (resume), and records failures without stopping.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from geoarena.core.config import RunConfig, TrainConfig, apply_overrides
from geoarena.core.errors import ConfigError
from geoarena.core.registry import SUITES
from geoarena.core.runner import RunResult, run
from geoarena.core.tracking import Tracker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuiteEntry:
    """One task with the models, protocols, label fractions and seeds it is run with.

    Attributes:
        train: ``TrainConfig`` overrides (dotted keys without the ``train.`` prefix) for this task.
        quick_train: further overrides applied with ``--quick``.
        model_kwargs: per-model constructor kwargs ``{"eo/resnet18": {"pretrained": False}}``.
    """

    task: str
    models: tuple[str, ...]
    protocols: tuple[str, ...] = ("finetune",)
    label_fractions: tuple[float, ...] = (1.0,)
    seeds: tuple[int, ...] = (0, 1)
    train: dict[str, Any] = field(default_factory=dict)
    quick_train: dict[str, Any] = field(default_factory=dict)
    model_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Suite:
    """A named list of entries. ``needs_data_root``: the data is given by path, not embedded."""

    name: str
    entries: list[SuiteEntry] = field(default_factory=list)
    description: str = ""
    needs_data_root: bool = False

    def cells(
        self,
        tasks: Iterable[str] | None = None,
        models: Iterable[str] | None = None,
        protocols: Iterable[str] | None = None,
        label_fractions: Iterable[float] | None = None,
        seeds: Iterable[int] | None = None,
        quick: bool = False,
        base: RunConfig | None = None,
        overrides: list[str] | None = None,
    ) -> list[RunConfig]:
        """Expand the entries into run configs, filtered by the given selections.

        ``seeds``/``label_fractions``/``protocols`` given explicitly replace the entry's own.
        """
        tasks_f = set(tasks) if tasks else None
        models_f = set(models) if models else None
        base = base or RunConfig()
        out: list[RunConfig] = []
        for e in self.entries:
            if tasks_f is not None and e.task not in tasks_f:
                continue
            train = apply_overrides(base.train, e.train)
            if quick:
                train = apply_overrides(train, e.quick_train)
            for model in e.models:
                if models_f is not None and model not in models_f:
                    continue
                for proto in tuple(protocols) if protocols else e.protocols:
                    for lf in tuple(label_fractions) if label_fractions else e.label_fractions:
                        for seed in tuple(seeds) if seeds is not None else e.seeds:
                            cfg = RunConfig(
                                task=e.task,
                                model=model,
                                protocol=proto,
                                label_fraction=float(lf),
                                seed=int(seed),
                                train=_copy(train),
                                model_kwargs=dict(e.model_kwargs.get(model, {})),
                                data_root=base.data_root,
                                cache_dir=base.cache_dir,
                                device=base.device,
                                quick=quick,
                                suite=self.name,
                            )
                            if overrides:
                                cfg = apply_overrides(cfg, overrides)
                            out.append(cfg)
        return out

    def task_names(self) -> list[str]:
        return [e.task for e in self.entries]


def _copy(train: TrainConfig) -> TrainConfig:
    return apply_overrides(train, {})


def define_suite(name: str, description: str = "", needs_data_root: bool = False) -> Suite:
    """Suite ``name``, created empty on first use (its description kept from the first caller)."""
    if name in SUITES._entries:
        return SUITES._entries[name].obj
    suite = Suite(name, description=description, needs_data_root=needs_data_root)
    SUITES.add(name, suite)
    return suite


def extend_suite(
    name: str, entry: SuiteEntry, description: str = "", needs_data_root: bool = False
) -> Suite:
    """Add ``entry`` to suite ``name`` (created on first use). Called from package plugins."""
    suite = define_suite(name, description, needs_data_root)
    if description and not suite.description:
        suite.description = description
    suite.needs_data_root = suite.needs_data_root or needs_data_root
    suite.entries = [e for e in suite.entries if e.task != entry.task] + [entry]
    return suite


def suite_hash(cells: list[RunConfig]) -> str:
    blob = json.dumps(sorted(c.hash() for c in cells))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class SuiteOutcome:
    """What ``run_suite`` did: the parent run, each cell's result, which were skipped."""

    suite: str
    parent_id: str
    results: list[RunResult] = field(default_factory=list)
    #: the parent's ``suite/elapsed_s`` before this call (a resumed suite adds to it)
    elapsed_before_s: float = 0.0

    @property
    def finished(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "FINISHED"]

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "FAILED"]

    @property
    def skipped(self) -> list[RunResult]:
        return [r for r in self.results if r.skipped]


ProgressHook = Callable[[int, int, RunConfig, RunResult | None], None]


def find_or_create_parent(
    tracker: Tracker, suite: str, cells: list[RunConfig], new: bool = False
) -> str:
    """Re-open the latest parent run of this exact suite selection, or start one."""
    h = suite_hash(cells)
    if not new:
        parents = tracker.find_runs({"suite_parent": "true", "suite": suite, "suite_hash": h})
        if parents:
            latest = max(parents, key=lambda r: r.get("start_time") or 0)
            return tracker.start_run(f"suite:{suite}", run_id=latest["run_id"])
    from geoarena.core.provenance import git_sha

    return tracker.start_run(
        f"suite:{suite}",
        tags={
            "suite_parent": "true",
            "suite": suite,
            "suite_hash": h,
            "git_sha": git_sha(),
            "n_cells": str(len(cells)),
        },
    )


def run_suite(
    suite: Suite,
    cells: list[RunConfig],
    tracker: Tracker,
    resume: bool = True,
    new_parent: bool = False,
    progress: ProgressHook | None = None,
) -> SuiteOutcome:
    """Run ``cells`` as children of one parent run; a failed cell is recorded and the suite goes on.

    Concurrent calls on one store cooperate: a cell is claimed (``geoarena.core.claims``) before
    it runs, a cell claimed elsewhere is taken up last and adopted when its holder finished it,
    and a cell run left RUNNING by a dead process is closed as KILLED first.
    """
    from geoarena.core.claims import claims_for

    if not cells:
        raise ConfigError(f"suite {suite.name!r}: the selection has no cells")
    t_start_ms = int(time.time() * 1000)
    claims = claims_for(tracker)
    with claims.wait_claim(f"parent-{suite.name}") if claims else nullcontext():
        close_orphaned_runs(tracker, suite.name, claims)
        parent = find_or_create_parent(tracker, suite.name, cells, new=new_parent)
    tracker.log_params(parent, {"suite": suite.name, "n_cells": len(cells)})
    done: dict[str, dict[str, Any]] = {}
    if resume:
        for r in tracker.find_runs({"suite": suite.name}, status="FINISHED"):
            h = r["tags"].get("config_hash")
            if h and r["tags"].get("suite_parent") != "true":
                done.setdefault(h, r)
    outcome = SuiteOutcome(suite.name, parent)
    for r in tracker.find_runs({"suite_parent": "true", "suite": suite.name}):
        if r["run_id"] == parent:
            outcome.elapsed_before_s = float(r["metrics"].get("suite/elapsed_s", 0.0))
    results: dict[int, RunResult] = {}
    deferred: list[int] = []
    try:
        for wait in (False, True):  # first every free cell, then those claimed elsewhere
            for i in deferred if wait else range(len(cells)):
                cfg = cells[i]
                if progress:
                    progress(len(results), len(cells), cfg, None)
                h = cfg.hash()
                if h in done:
                    res = _adopted(done[h], h)
                elif claims is None:
                    res = run(cfg, tracker, parent_id=parent)
                else:
                    claim = claims.wait_claim(h) if wait else claims.try_claim(h)
                    if claim is None:
                        deferred.append(i)
                        continue
                    with claim:  # another process may have run it since we looked
                        prev = _latest_run(tracker, suite.name, h, resume, t_start_ms)
                        res = _adopted(prev, h) if prev else run(cfg, tracker, parent_id=parent)
                results[i] = res
                if progress:
                    progress(len(results), len(cells), cfg, res)
    except KeyboardInterrupt:
        tracker.end_run(parent, "KILLED")
        raise
    outcome.results = [results[i] for i in sorted(results)]
    tracker.log_metrics(
        parent,
        {
            "suite/cells": len(cells),
            "suite/finished": len(outcome.finished),
            "suite/failed": len(outcome.failed),
            "suite/skipped": len(outcome.skipped),
        },
    )
    return outcome


def _adopted(prev: dict[str, Any], h: str) -> RunResult:
    """A cell some run (earlier, or a concurrent process) already took to its end."""
    return RunResult(
        run_id=prev["run_id"],
        status=prev.get("status") or "FINISHED",
        config_hash=h,
        skipped=True,
        error=prev["tags"].get("error"),
        test={k: v for k, v in prev["metrics"].items() if k.startswith("test/")},
    )


def _latest_run(
    tracker: Tracker, suite: str, h: str, resume: bool, since_ms: int
) -> dict[str, Any] | None:
    """A cell run to adopt: any FINISHED one when resuming, else one ended (FINISHED or FAILED)
    by a concurrent process since this suite run started."""
    runs = [
        r
        for r in tracker.find_runs({"suite": suite, "config_hash": h})
        if r["tags"].get("suite_parent") != "true"
    ]
    if resume:
        finished = [r for r in runs if r["status"] == "FINISHED"]
        if finished:
            return finished[0]
    recent = [
        r
        for r in runs
        if r["status"] in ("FINISHED", "FAILED") and (r.get("start_time") or 0) >= since_ms
    ]
    return max(recent, key=lambda r: r.get("start_time") or 0) if recent else None


def close_orphaned_runs(tracker: Tracker, suite: str, claims: Any) -> list[str]:
    """Close cell runs left RUNNING by a dead process (nobody holds their claim) as KILLED."""
    if claims is None:
        return []
    closed = []
    for r in tracker.find_runs({"suite": suite}, status="RUNNING"):
        h = r["tags"].get("config_hash")
        if not h or r["tags"].get("suite_parent") == "true" or not claims.is_free(h):
            continue
        tracker.set_tags(
            r["run_id"], {"state": "KILLED", "error": "the process running this cell died"}
        )
        tracker.end_run(r["run_id"], "KILLED")
        closed.append(r["run_id"])
    if closed:
        log.warning("suite %s: closed %d run(s) of dead processes as KILLED", suite, len(closed))
    return closed
