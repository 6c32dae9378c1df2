"""After the search: the best configuration re-run over the declared seeds (GEO-Bench protocol:
HPO first, then seeds), test metrics reported with bootstrap confidence intervals.

The final runs are children of the study's MLflow parent run (tag ``sweep.stage=final``); the
report goes to the parent run as ``final_report.md`` / ``final_report.json`` and into the study's
user attrs (``geoarena.final``). Exactly one worker runs it: the first to claim it under the study
lock, after every search trial has finished.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from geoarena.core.errors import GeoArenaError
from geoarena.sweeps.pareto import log_front, pick_tradeoff
from geoarena.sweeps.study import (
    FINAL_ATTR,
    PARENT_ATTR,
    SweepError,
    SweepHandle,
    study_counts,
)
from geoarena.sweeps.worker import fail_stale

log = logging.getLogger(__name__)


@dataclass
class MetricSummary:
    """One test metric over the seeds: values, mean, its standard error and bootstrap CI."""

    metric: str
    values: list[float]
    mean: float
    sem: float
    ci_low: float
    ci_high: float


@dataclass
class FinalReport:
    """The best trial, its parameters, the seed runs and the per-metric summaries."""

    study: str
    best_trial: int
    best_values: list[float]
    params: dict[str, Any]
    seeds: list[int]
    run_ids: list[str]
    statuses: list[str]
    metrics: list[MetricSummary] = field(default_factory=list)
    ci: float = 0.95
    n_bootstrap: int = 1000
    #: multi-objective studies: the objectives, the trade-off rule and the Pareto front
    objectives: list[str] = field(default_factory=list)
    tradeoff: str = ""
    pareto_front: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=float)

    def to_markdown(self) -> str:
        lines = [
            f"# Sweep {self.study}: best configuration over seeds {', '.join(map(str, self.seeds))}",
            "",
            f"Best trial #{self.best_trial} (validation objective(s) {', '.join(f'{v:.4g}' for v in self.best_values)}).",
            "",
        ]
        if self.pareto_front:
            from geoarena.sweeps.pareto import front_markdown

            lines += [
                f"Pareto front of {', '.join(self.objectives)} ({len(self.pareto_front)} trials); "
                f"trade-off rule {self.tradeoff!r} (see geoarena.sweeps.pareto) picked trial "
                f"#{self.best_trial}:",
                "",
                front_markdown(self.pareto_front, tuple(self.objectives), self.best_trial),
            ]
        lines += [
            "| parameter | value |",
            "|---|---|",
            *(f"| {k} | {v} |" for k, v in sorted(self.params.items())),
            "",
            f"Test metrics: mean over seeds, standard error, {int(self.ci * 100)} % percentile bootstrap CI "
            f"({self.n_bootstrap} resamples of the seeds).",
            "",
            "| metric | per seed | mean | sem | CI low | CI high |",
            "|---|---|---|---|---|---|",
        ]
        for m in self.metrics:
            per_seed = ", ".join(f"{v:.4f}" for v in m.values)
            lines.append(
                f"| {m.metric} | {per_seed} | {m.mean:.4f} | {m.sem:.4f} | {m.ci_low:.4f} | {m.ci_high:.4f} |"
            )
        lines += [
            "",
            "MLflow runs: "
            + ", ".join(
                f"seed {s}: {r} ({st})" for s, r, st in zip(self.seeds, self.run_ids, self.statuses)
            ),
        ]
        return "\n".join(lines) + "\n"


def best_trial(handle: SweepHandle) -> Any:
    """The best finished trial: ``study.best_trial``; for multi-objective studies the trade-off
    point of the Pareto front under ``config.tradeoff`` (``geoarena.sweeps.pareto``)."""
    study = handle.study
    if len(handle.directions) == 1:
        try:
            return study.best_trial
        except ValueError:
            raise SweepError(
                f"study {handle.config.study!r} has no COMPLETE trial to re-run"
            ) from None
    front = study.best_trials
    if not front:
        raise SweepError(f"study {handle.config.study!r} has no COMPLETE trial to re-run")
    return pick_tradeoff(front, handle.directions, handle.config.tradeoff)


def summarize(
    metric: str, values: list[float], label: str, dataset: str, n_bootstrap: int, ci: float
) -> MetricSummary:
    """Mean, SEM and percentile bootstrap CI over seeds, computed by ``geoarena.results.aggregate``
    (the same resampling of seeds the GEO-Bench tables use)."""
    import pandas as pd

    from geoarena.results.aggregate import SCORE_COL, per_dataset_scores

    df = pd.DataFrame({"backbone": label, "dataset": dataset, SCORE_COL: values})
    row = per_dataset_scores(df, method_cols=("backbone",), n_bootstrap=n_bootstrap, ci=ci).iloc[0]
    return MetricSummary(
        metric,
        [float(v) for v in values],
        float(row["mean"]),
        float(row["sem"]),
        float(row["ci_low"]),
        float(row["ci_high"]),
    )


def wait_for_search(handle: SweepHandle, timeout_s: float, poll_s: float = 1.0) -> None:
    """Block until no trial is RUNNING or WAITING (stale ones are failed on the way)."""
    end = time.monotonic() + timeout_s
    while True:
        fail_stale(handle)
        counts = study_counts(handle.study)
        if not counts["RUNNING"] and not counts["WAITING"]:
            return
        if time.monotonic() > end:
            raise SweepError(
                f"study {handle.config.study!r} still has {counts['RUNNING']} running and {counts['WAITING']} "
                f"waiting trials after {timeout_s:.0f} s; run the final stage later (tools/sweep.py --final-only)"
            )
        time.sleep(poll_s)


def claim_final(handle: SweepHandle) -> bool:
    """True for the one worker that runs the final stage (first come, under the study lock)."""
    with handle.lock:
        if FINAL_ATTR in handle.study.user_attrs:
            return False
        handle.study.set_user_attr(FINAL_ATTR, {"claimed_by": handle.worker, "state": "RUNNING"})
        return True


def run_final(
    handle: SweepHandle,
    tracker: Any = None,
    *,
    seeds: tuple[int, ...] | None = None,
    wait_timeout_s: float = 600.0,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    force: bool = False,
) -> FinalReport | None:
    """Re-run the best trial's configuration once per seed and summarise its test metrics.

    Returns ``None`` when another worker already claimed the final stage (unless ``force``).
    """
    import optuna

    seeds = tuple(seeds if seeds is not None else handle.config.seeds)
    wait_for_search(handle, wait_timeout_s)
    if not claim_final(handle) and not force:
        log.info("final stage of %s is run by another worker", handle.config.study)
        return None
    best = best_trial(handle)
    cfg = handle.experiment.sample(optuna.trial.FixedTrial(best.params), handle.base_cfg)
    parent = handle.study.user_attrs.get(PARENT_ATTR) if tracker is not None else None
    run = handle.experiment.run()
    run_ids, statuses, tests = [], [], []
    for seed in seeds:
        c = copy.deepcopy(cfg)
        c.seed = int(seed)
        tags = {
            "optuna.study": handle.config.study,
            "sweep.stage": "final",
            "optuna.best_trial": str(best.number),
        }
        result = run(c, tracker=tracker, parent_id=parent, on_epoch=None, tags=tags)
        run_ids.append(str(getattr(result, "run_id", "")))
        statuses.append(str(getattr(result, "status", "")))
        tests.append(dict(getattr(result, "test", {}) or {}))
    ok = [t for t, s in zip(tests, statuses) if s.upper() == "FINISHED" and t]
    if not ok:
        raise SweepError(
            f"every final seed run of study {handle.config.study!r} failed: {statuses}"
        )
    label = f"trial{best.number}"
    dataset = cfg.task or handle.experiment.name
    keys = sorted(set().union(*ok))
    report = FinalReport(
        study=handle.config.study,
        best_trial=best.number,
        best_values=[float(v) for v in best.values],
        params=dict(best.params),
        seeds=list(seeds),
        run_ids=run_ids,
        statuses=statuses,
        metrics=[
            summarize(k, [t[k] for t in ok if k in t], label, dataset, n_bootstrap, ci)
            for k in keys
        ],
        ci=ci,
        n_bootstrap=n_bootstrap,
    )
    if len(handle.directions) > 1:
        report.objectives = list(handle.metrics)
        report.tradeoff = handle.config.tradeoff
        report.pareto_front = log_front(handle, tracker, chosen=best.number)
    with handle.lock:
        handle.study.set_user_attr(
            FINAL_ATTR,
            json.loads(report.to_json()) | {"claimed_by": handle.worker, "state": "DONE"},
        )
    if tracker is not None and parent:
        try:
            tracker.log_text(parent, report.to_markdown(), "final_report.md")
            tracker.log_text(parent, report.to_json(), "final_report.json")
            tracker.log_metrics(parent, {f"final/{m.metric}": m.mean for m in report.metrics})
            tags = {"sweep.best_trial": str(best.number)}
            if report.tradeoff:
                tags["sweep.tradeoff"] = report.tradeoff
            tracker.set_tags(parent, tags)
            tracker.flush(parent)
        except GeoArenaError as exc:
            log.warning("could not attach the final report to the parent run: %s", exc)
    return report
