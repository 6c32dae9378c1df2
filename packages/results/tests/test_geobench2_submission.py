"""The GEO-Bench-2 leaderboard's input-validation rules, re-implemented, and GeoArena's export."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from geoarena.results.capability import GEOBENCH2_CAPABILITY_GROUPS
from geoarena.results.geobench2_submission import (
    CSV_FILE,
    FULL_FT_SUBMISSION,
    JSON_FILE,
    capability_table,
    check_submission_folder,
    submission_from_runs,
    write_submission,
)
from geoarena.results.published import submission_csv


@pytest.fixture
def published(tmp_path):
    """The leaderboard's own full fine-tuning submission (it passed the leaderboard's checks)."""
    src = submission_csv(FULL_FT_SUBMISSION).parent
    dst = tmp_path / "pub"
    shutil.copytree(src, dst)
    return dst


def test_published_submission_passes(published):
    errors, warnings = check_submission_folder(published)
    assert errors == [] and warnings == []


def _rewrite(folder, fn):
    df = pd.read_csv(folder / CSV_FILE)
    fn(df).to_csv(folder / CSV_FILE, index=False)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d.iloc[1:], "needs 5 entries"),
        (lambda d: d.assign(frozen_or_full_ft="finetune"), "frozen_or_full_ft"),
        (lambda d: d.assign(lr="high"), "'lr' must be numeric"),
        (lambda d: d.assign(decoder=1), "'decoder' must be text"),
        (lambda d: d.drop(columns=["n_trials"]), "missing column"),
        (lambda d: d[d["dataset"].isin(["so2sat", "benv2"])], "no capability group"),
    ],
)
def test_each_rule_rejects_its_violation(published, break_it, message):
    _rewrite(published, break_it)
    errors, _ = check_submission_folder(published)
    assert any(message in e for e in errors), errors


def test_json_keys_and_folder_contents(published):
    info = json.loads((published / JSON_FILE).read_text())
    del info["Code Repository Link "]
    (published / JSON_FILE).write_text(json.dumps(info))
    (published / "notes.txt").write_text("x")
    errors, _ = check_submission_folder(published)
    assert any("Code Repository Link" in e for e in errors)
    assert any("must hold exactly" in e for e in errors)


def _runs(datasets, models=("resnet18", "prithvi_tiny"), seeds=range(5)):
    rng = np.random.default_rng(0)
    for m in models:
        for ds in datasets:
            for s in seeds:
                metric = {"biomassters": "rmse"}.get(ds, "miou")
                yield {
                    "run_id": f"{m}-{ds}-{s}",
                    "status": "FINISHED",
                    "tags": {
                        "dataset": ds,
                        "model": m,
                        "seed": str(s),
                        "suite": "geobench2",
                        "primary_metric": metric,
                        "decoder": "unet",
                        "label_fraction": "1.0",
                        "frozen_or_full_ft": "full_ft",
                    },
                    "params": {
                        "train.early_stop_patience": "10",
                        "train.batch_size": "16",
                        "train.lr": "0.001",
                        "train.weight_decay": "0.0",
                    },
                    "metrics": {
                        f"test/{metric}": float(rng.random()),
                        "test/gb2_score": 0.9,
                        "hpo/lr": 3e-4,
                        "hpo/weight_decay": 0.01,
                        "hpo/n_trials": 16.0,
                    },
                }


def test_export_of_suite_runs_passes_and_uses_leaderboard_conventions(tmp_path):
    datasets = GEOBENCH2_CAPABILITY_GROUPS["Core"]
    df = submission_from_runs(_runs(datasets))
    assert len(df) == 2 * len(datasets) * 5
    bio = df[df["dataset"] == "biomassters"]
    assert (bio["Metric"] == "RMSE").all() and (bio["test metric"] == 0.9).all()
    assert set(df[df["dataset"] == "kuro_siwo"]["Metric"]) == {"Multiclass_Jaccard_Index"}
    assert (df["lr"] == 3e-4).all() and (df["n_trials"] == 16).all()
    write_submission(df, tmp_path / "sub")
    assert check_submission_folder(tmp_path / "sub") == ([], [])
    # four seeds only: the leaderboard refuses it
    df4 = submission_from_runs(_runs(datasets, seeds=range(4)))
    write_submission(df4, tmp_path / "sub4")
    assert any("needs 5 entries" in e for e in check_submission_folder(tmp_path / "sub4")[0])


def test_capability_table_puts_our_rows_beside_the_published_backbones():
    df = submission_from_runs(_runs(GEOBENCH2_CAPABILITY_GROUPS["Core"]))
    table = capability_table(df, n_bootstrap=10)
    ours = table[table["source"] == "geoarena"]
    assert set(ours["backbone"]) == {"resnet18", "prithvi_tiny"}
    assert ours["Core"].notna().all()
    pub = table[table["source"] == FULL_FT_SUBMISSION]
    # some published backbones lack a Core dataset: NaN, as on the leaderboard
    assert len(pub) == 18 and pub["Core"].dropna().between(0, 100).all()
    assert pub["Core"].notna().sum() >= 10


def test_export_of_a_suite_without_cells_says_so_in_one_line(tmp_path, capsys):
    from geoarena.results.geobench2_submission import main

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["--tracking-uri", uri, "--suite", "geobench2", "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "--suite geobench2: no FINISHED GEO-Bench-2 cells" in out[0]
    assert not (tmp_path / "o" / "submission").exists()
