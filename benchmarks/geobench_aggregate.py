"""GEO-Bench capability-group bootstrap: geoarena.results.aggregate vs the leaderboard's pandas steps.

Both compute, on the real GEO-Bench-2 submission 114be1f0 (1,630 runs, 18 backbones) normalised
with the leaderboard's normalizer.json, the stratified bootstrap of each backbone's IQM per
capability group: replicate i resamples the seeds of every (backbone, dataset) cell with
``random_state=100 + i`` and takes ``trim_mean(…, 0.25)`` of each backbone's pooled runs. The
peer is that procedure written the way the leaderboard writes it (``groupby([...]).sample(frac=1,
replace=True, random_state=100 + i)`` then ``groupby("backbone").apply(trim_mean)``). The two
must agree to 1e-12 on every replicate; goal: ≥ 10× the peer's speed (median over rounds).

    .venv/bin/python benchmarks/geobench_aggregate.py [--replicates 20] [--rounds 3]

Prints ``RESULT geobench_aggregate speedup=<x> goal=10.0 PASS|FAIL`` last.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats import trim_mean

from geoarena.results.aggregate import (
    GEOBENCH2_CAPABILITY_GROUPS,
    Normalizer,
    stratified_bootstrap_iqm,
)
from geoarena.results.published import normalizer_json, submission_csv
from geoarena.results.schema import from_geobench2_submission

SUBMISSION = submission_csv("114be1f0-5a41-43a5-b4e6-7fb683bc01ec")
GROUPS = ("Core", "Classification", "Multi-Temporal")


def peer(df: pd.DataFrame, replicates: int) -> dict[str, pd.DataFrame]:
    out = {}
    for group in GROUPS:
        sub = df[df["dataset"].isin(GEOBENCH2_CAPABILITY_GROUPS[group])]
        cells = sub.groupby(["backbone", "dataset"])
        reps = []
        for i in range(replicates):
            sample = cells.sample(frac=1, replace=True, random_state=100 + i)
            reps.append(
                sample.groupby("backbone")["normalized"].apply(
                    lambda x: trim_mean(x, 0.25, axis=None)
                )
            )
        out[group] = pd.concat(reps, axis=1)
    return out


def ours(df: pd.DataFrame, replicates: int) -> dict[str, pd.DataFrame]:
    out = {}
    for group in GROUPS:
        sub = df[df["dataset"].isin(GEOBENCH2_CAPABILITY_GROUPS[group])]
        boot = stratified_bootstrap_iqm(sub, n_bootstrap=replicates, seed=100)
        out[group] = boot.pivot(index="backbone", columns="replicate", values="iqm")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    df = from_geobench2_submission(pd.read_csv(SUBMISSION))  # shipped with geoarena.results
    df["normalized"] = Normalizer.from_json(normalizer_json()).normalize_frame(df)
    t_peer, t_ours = [], []
    worst = 0.0
    for _ in range(args.rounds):  # alternate so machine load hits both alike
        t0 = time.perf_counter()
        ref = peer(df, args.replicates)
        t_peer.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        got = ours(df, args.replicates)
        t_ours.append(time.perf_counter() - t0)
        for g in GROUPS:
            worst = max(
                worst, float(np.abs(got[g].loc[ref[g].index].to_numpy() - ref[g].to_numpy()).max())
            )
    p, o = statistics.median(t_peer), statistics.median(t_ours)
    speedup = p / o
    print(f"groups={','.join(GROUPS)} replicates={args.replicates} rounds={args.rounds}")
    print(
        f"peer (pandas groupby.sample + trim_mean): {p:.3f} s   ours: {o:.3f} s   max |diff| = {worst:.2e}"
    )
    ok = speedup >= 10.0 and worst <= 1e-12
    print(f"RESULT geobench_aggregate speedup={speedup:.1f} goal=10.0 {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
