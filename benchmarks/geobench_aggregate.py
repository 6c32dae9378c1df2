"""GEO-Bench-2 capability-group scores: geoarena.results vs the leaderboard's own procedure.

Both sides compute, on the shipped GEO-Bench-2 submission 114be1f0 (1,630 runs, 18 backbones;
``geoarena.results.published``) and the leaderboard's ``normalizer.json``, every capability
group's normalised score and its error for every backbone:

* peer — the leaderboard's compile code (The-AI-Alliance/GEO-Bench-2-Leaderboard,
  ``utils/compile_results.py::compute_all_iqms`` at 32ebc901 and ``utils/compute_tools.py`` at
  2fee9230), re-implemented here step for step from its source: the row-wise ``Normalizer``
  (``df.apply(..., axis=1)``), then per capability group (only groups whose datasets are all
  present) ``bootstrap_iqm_aggregate``: ``repeat`` times ``groupby(["backbone", "dataset"])
  .sample(frac=1, replace=True, random_state=100 + i)`` and ``groupby("backbone").apply(iqm)``
  with ``iqm = trim_mean(·, 0.25)``; the value is the mean and the error the ``scipy.stats.sem``
  of each backbone's replicates. (The leaderboard draws the replicates twice, once for the value
  and once for the error; the peer draws them once — its best configuration, same numbers.)
* ours — ``geoarena.results.aggregate.aggregate_groups`` (vectorised normaliser and bootstrap).

They must agree to 1e-12 on every value and error. No floor is stated: there is no cheaper way
to the same numbers than the draws themselves. Sides interleaved, 1 thread each (pinned).

    .venv/bin/python benchmarks/geobench_aggregate.py [--repeat 20]

Last line: ``RESULT geobench_aggregate speedup=… ci95=[…] threads=… goal=10 PASS|FAIL``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import sem, trim_mean

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Bench, Side, interleave, standard_args

from geoarena.results.aggregate import GEOBENCH2_CAPABILITY_GROUPS, Normalizer, aggregate_groups
from geoarena.results.published import normalizer_json, submission_csv

SUBMISSION = "114be1f0-5a41-43a5-b4e6-7fb683bc01ec"
METRIC = "test metric"  # the submission's column, as the leaderboard reads it


def leaderboard(df: pd.DataFrame, ranges: dict, repeat: int) -> pd.DataFrame:
    """The leaderboard's normalisation and per-group bootstrap (see the module docstring)."""
    df = df.copy()

    def normalize(row):  # Normalizer.__call__ through normalize_data_frame: one row at a time
        mn, mx = ranges[row["dataset"]]
        return (row[METRIC] - mn) / (mx - mn)

    new_metric = f"normalized {METRIC}"
    df[new_metric] = df.apply(normalize, axis=1)
    out = []
    for group, members in GEOBENCH2_CAPABILITY_GROUPS.items():
        data = df.loc[df["dataset"].isin(members)].copy()
        if not set(members) <= set(data["dataset"]):
            continue  # the leaderboard leaves a group out unless all its datasets are present
        cells = data.groupby(["backbone", "dataset"])
        reps = []
        for i in range(repeat):
            sample = cells.sample(frac=1, replace=True, random_state=100 + i)
            series = sample.groupby(["backbone"])[new_metric].apply(
                lambda s: trim_mean(s, proportiontocut=0.25, axis=None)
            )
            reps.append(series.to_frame().reset_index())
        reps = pd.concat(reps)
        by = reps.groupby("backbone")[new_metric]
        scores = pd.DataFrame(
            {"group": group, "score": by.apply(np.mean), "score_sem": by.apply(sem)}
        )
        # a backbone without runs on one of the group's datasets gets no score (NaN there)
        covered = data.groupby("backbone")["dataset"].nunique() == len(set(members))
        out.append(scores[covered.reindex(scores.index).to_numpy()])
    return pd.concat(out).reset_index().set_index(["group", "backbone"]).sort_index()


def ours(df: pd.DataFrame, normalizer: Normalizer, repeat: int) -> pd.DataFrame:
    table = df.rename(columns={METRIC: "test_metric"})
    agg = aggregate_groups(
        table, GEOBENCH2_CAPABILITY_GROUPS, normalizer=normalizer, n_bootstrap=repeat, seed=100
    )
    agg = agg.dropna(subset=["score"])
    return agg.set_index(["group", "backbone"])[["score", "score_sem"]].sort_index()


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--repeat", type=int, default=20, help="bootstrap replicates (leaderboard: 100)"
    )
    standard_args(ap, rounds=5)
    args = ap.parse_args()
    bench = Bench("geobench_aggregate", ["pandas", "numpy", "scipy"])
    df = pd.read_csv(submission_csv(SUBMISSION))
    ranges = {k: tuple(v) for k, v in json.loads(normalizer_json().read_text()).items()}
    normalizer = Normalizer.from_json(normalizer_json())
    got: dict[str, pd.DataFrame] = {}

    def run_peer():
        got["peer"] = leaderboard(df, ranges, args.repeat)

    def run_ours():
        got["ours"] = ours(df, normalizer, args.repeat)

    peer = Side("leaderboard compile code", run_peer, 1, "pandas groupby.sample + trim_mean")
    mine = Side("ours aggregate_groups", run_ours, 1, "vectorised bootstrap")
    interleave([peer, mine], args.rounds, warmup=1)
    bench.summary([peer, mine])
    ref, res = got["peer"], got["ours"]
    same_index = ref.index.equals(res.index)
    worst = float(np.abs(ref.to_numpy() - res.to_numpy()).max()) if same_index else float("inf")
    groups = sorted(set(ref.index.get_level_values(0)))
    print(
        f"{len(groups)} groups ({', '.join(groups)}), {len(ref)} (group, backbone) scores, "
        f"{args.repeat} replicates; same rows: {same_index}; max |diff| value/error = {worst:.2e}"
    )
    bench.done()
    bench.result(
        "speedup",
        peer.seconds(),
        mine.seconds(),
        10.0,
        "ours:1,leaderboard:1",
        extra_ok=same_index and worst <= 1e-12,
        extra=f"max_abs_diff={worst:.1e}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
