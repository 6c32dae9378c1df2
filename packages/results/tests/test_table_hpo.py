"""Results rows of ``eo/hpo-*`` cells report what their search chose and how many trials it ran."""

from __future__ import annotations

from geoarena.results.table import row_from_run


def _run(metrics: dict[str, float]) -> dict:
    return {
        "run_id": "r1",
        "status": "FINISHED",
        "tags": {"task": "eo/gb2-caffe", "primary_metric": "miou", "seed": "0", "model": "m"},
        "params": {"train.lr": "0.001", "train.weight_decay": "0.0001"},
        "metrics": {"test/miou": 0.5, **metrics},
    }


def test_hpo_cells_report_the_searched_lr_weight_decay_and_trial_count() -> None:
    row = row_from_run(
        _run({"hpo/lr": 3e-4, "hpo/weight_decay": 0.05, "hpo/n_trials": 16.0, "hpo/best_trial": 7})
    )
    assert (row["lr"], row["weight_decay"], row["n_trials"]) == (3e-4, 0.05, 16)


def test_plain_cells_report_their_config() -> None:
    row = row_from_run(_run({}))
    assert (row["lr"], row["weight_decay"], row["n_trials"]) == (0.001, 0.0001, 0)
