"""GEO-Bench statistics on the real GEO-Bench-2 leaderboard submissions.

The expected numbers are either stated in the issue (mean ×100 over five seeds) or computed by
hand below from the raw CSV values; the bootstrap is checked draw-for-draw against the
leaderboard's own pandas procedure (``groupby([...]).sample(frac=1, replace=True,
random_state=100 + i)`` then ``trim_mean(…, 0.25)`` per backbone).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import sem as scipy_sem
from scipy.stats import trim_mean
from scipy.stats.mstats import trim

from geoarena.core.errors import ConfigError, DataError
from geoarena.results.aggregate import (
    GEOBENCH2_CAPABILITY_GROUPS,
    GEOBENCH2_DATASETS,
    Normalizer,
    aggregate_groups,
    capability_groups,
    capability_tags,
    compute_leaderboard,
    iqm,
    leaderboard_value,
    per_dataset_scores,
    rank_methods,
    sem,
    stratified_bootstrap_iqm,
    trimmed_sem,
)
from geoarena.results.published import LEADERBOARD_DIR
from geoarena.results.schema import from_geobench2_submission

LEADERBOARD = LEADERBOARD_DIR
MAIN = "114be1f0-5a41-43a5-b4e6-7fb683bc01ec"  # full fine-tuning, 18 backbones, 19 datasets
SAR = "2ce4a907-7ae3-45d3-a07a-558f8d0d758b"  # full fine-tuning with SAR bands, 3 backbones
FROZEN = "80100fc6-dc1a-4514-b946-341157eaf816"  # frozen encoders, 15 datasets


def _submission(name: str) -> pd.DataFrame:
    """A published submission under GeoArena's column names (``test metric`` → ``test_metric``)."""
    path = LEADERBOARD / name / "results_and_parameters.csv"
    return from_geobench2_submission(pd.read_csv(path))


@pytest.fixture(scope="module")
def main() -> pd.DataFrame:
    return _submission(MAIN)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    path = LEADERBOARD / "normalizer.json"
    if not path.is_file():
        pytest.fail(f"leaderboard normalizer not found at {path}")
    return Normalizer.from_json(path)


@pytest.fixture(scope="module")
def board(main: pd.DataFrame, normalizer: Normalizer):
    return compute_leaderboard(main, normalizer=normalizer)


def _cell(df: pd.DataFrame, backbone: str, dataset: str) -> pd.Series:
    return df[(df["backbone"] == backbone) & (df["dataset"] == dataset)].iloc[0]


# --------------------------------------------------------------------------- raw means (issue)


def test_raw_means_over_five_seeds_match_the_issue(board) -> None:
    per = board.per_dataset
    tm = _cell(per, "terramind_v1_large", "benv2")
    pr = _cell(per, "prithvi_eo_v2_600_tl", "burn_scars")
    assert tm["n_seeds"] == 5 and pr["n_seeds"] == 5
    assert leaderboard_value(tm["mean"]) == 76.0
    assert leaderboard_value(pr["mean"]) == 88.8
    assert tm["mean"] == pytest.approx(0.7597243547, abs=1e-9)
    assert pr["mean"] == pytest.approx(0.8884743929, abs=1e-9)


def test_raw_error_is_scipy_sem_over_seeds(main: pd.DataFrame, board) -> None:
    ref = main.groupby(["backbone", "dataset"])["test_metric"].apply(scipy_sem)
    got = board.per_dataset.set_index(["backbone", "dataset"])["sem"]
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=0, atol=1e-15)


# --------------------------------------------------------------------------- normalisation


def test_leaderboard_normalizer_is_min_max_of_the_full_ft_submissions(
    normalizer: Normalizer,
) -> None:
    # The leaderboard builds its ranges from the two full fine-tuning submissions.
    both = pd.concat([_submission(MAIN), _submission(SAR)], ignore_index=True)
    ours = Normalizer.from_table(both)
    assert set(ours.ranges) == set(normalizer.ranges) == set(GEOBENCH2_DATASETS)
    for ds, rng in normalizer.ranges.items():
        assert ours.ranges[ds] == rng
    assert normalizer.ranges["benv2"] == (0.7138733267784119, 0.7664718627929688)


def test_normalised_iqm_by_hand(board) -> None:
    # terramind_v1_large on benv2, the five seeds of the CSV sorted:
    seeds = [0.75615007, 0.75941986, 0.75972486, 0.76151216, 0.76181483]
    lo, hi = 0.7138733267784119, 0.7664718627929688
    by_hand = (np.mean(seeds[1:4]) - lo) / (hi - lo)  # IQM of 5 drops one value at each end
    assert by_hand == pytest.approx(0.88112, abs=1e-4)
    assert _cell(board.per_dataset, "terramind_v1_large", "benv2")[
        "normalized_iqm"
    ] == pytest.approx(by_hand, abs=1e-6)
    # prithvi_eo_v2_600_tl on burn_scars
    seeds = [0.88054681, 0.88712597, 0.88918078, 0.89270824, 0.89281017]
    lo, hi = 0.6498024463653564, 0.9017086625099182
    by_hand = (np.mean(seeds[1:4]) - lo) / (hi - lo)
    assert by_hand == pytest.approx(0.95222, abs=1e-4)
    assert _cell(board.per_dataset, "prithvi_eo_v2_600_tl", "burn_scars")[
        "normalized_iqm"
    ] == pytest.approx(by_hand, abs=1e-6)


def test_per_dataset_iqm_and_error_equal_scipy_on_every_cell(main, normalizer, board) -> None:
    norm = main.assign(n=normalizer.normalize_frame(main))
    ref_iqm = norm.groupby(["backbone", "dataset"])["n"].apply(
        lambda x: trim_mean(x, 0.25, axis=None)
    )

    def ref_trimmed_sem(x: pd.Series) -> float:
        t = trim(x.to_numpy(), limits=(0.25, 0.25), relative=True)
        return scipy_sem(t.data[~t.mask])

    ref_err = norm.groupby(["backbone", "dataset"])["n"].apply(ref_trimmed_sem)
    got = board.per_dataset.set_index(["backbone", "dataset"])
    assert len(got) == len(ref_iqm) == 326
    np.testing.assert_allclose(
        got.loc[ref_iqm.index, "normalized_iqm"], ref_iqm, rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        got.loc[ref_err.index, "normalized_sem"], ref_err, rtol=0, atol=1e-12
    )


def test_normalizer_direction_degenerate_range_and_errors(tmp_path: Path) -> None:
    n = Normalizer({"a": (0.2, 0.6), "rmse": (1.0, 3.0), "flat": (0.5, 0.5)}, frozenset({"rmse"}))
    np.testing.assert_allclose(n("a", [0.2, 0.4, 0.6]), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(n("rmse", [1.0, 2.5, 3.0]), [1.0, 0.25, 0.0])  # lower is better
    np.testing.assert_allclose(n("flat", [0.5, 0.5]), [0.0, 0.0])
    with pytest.raises(ConfigError, match="no range for dataset 'zzz'"):
        n("zzz", [1.0])
    n.to_json(tmp_path / "norm.json")
    assert json.loads((tmp_path / "norm.json").read_text())["a"] == [0.2, 0.6]
    with pytest.raises(DataError, match="not found"):
        Normalizer.from_json(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"a": [1, 2, 3]}')
    with pytest.raises(DataError, match=r"bad.json: normalizer entry 'a' must be \[min, max\]"):
        Normalizer.from_json(tmp_path / "bad.json")


# --------------------------------------------------------------------------- robust statistics


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 10, 13])
def test_iqm_and_trimmed_sem_have_scipy_semantics(n: int) -> None:
    x = np.random.default_rng(n).normal(size=n)
    assert iqm(x) == pytest.approx(trim_mean(x, 0.25), abs=1e-12)
    t = trim(x, limits=(0.25, 0.25), relative=True)
    kept = t.data[~t.mask]
    expected = scipy_sem(kept) if kept.size > 1 else float("nan")
    np.testing.assert_allclose(trimmed_sem(x), expected, equal_nan=True)
    np.testing.assert_allclose(sem(x), scipy_sem(x) if n > 1 else np.nan, equal_nan=True)


def test_iqm_drops_outliers_and_ignores_nan() -> None:
    assert iqm([1.0, 2.0, 3.0, 4.0, 1000.0]) == pytest.approx(3.0)
    assert iqm([1.0, 2.0, np.nan, 3.0]) == pytest.approx(2.0)
    assert np.isnan(iqm([]))


# --------------------------------------------------------------------------- stratified bootstrap


def _leaderboard_bootstrap(
    df: pd.DataFrame, datasets, normalizer: Normalizer, repeat: int
) -> pd.DataFrame:
    """The leaderboard's stratified bootstrap written with pandas, as an independent reference."""
    sub = df[df["dataset"].isin(datasets)].copy()
    sub["n"] = normalizer.normalize_frame(sub)
    groups = sub.groupby(["backbone", "dataset"])
    reps = []
    for i in range(repeat):
        sample = groups.sample(frac=1, replace=True, random_state=100 + i)
        reps.append(sample.groupby("backbone")["n"].apply(lambda x: trim_mean(x, 0.25, axis=None)))
    return pd.concat(reps, axis=1)


def test_bootstrap_reproduces_the_leaderboard_draw_for_draw(main, normalizer) -> None:
    datasets = GEOBENCH2_CAPABILITY_GROUPS["Classification"]
    ref = _leaderboard_bootstrap(main, datasets, normalizer, repeat=12)
    sub = main[main["dataset"].isin(datasets)].assign(
        normalized=lambda d: normalizer.normalize_frame(d)
    )
    boot = stratified_bootstrap_iqm(sub, n_bootstrap=12, seed=100)
    got = boot.pivot(index="backbone", columns="replicate", values="iqm")
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=0, atol=1e-12)
    agg = aggregate_groups(
        main, {"Classification": datasets}, normalizer=normalizer, n_bootstrap=12
    )
    agg = agg.set_index("backbone")
    np.testing.assert_allclose(agg.loc[ref.index, "score"], ref.mean(axis=1), atol=1e-12)
    np.testing.assert_allclose(
        agg.loc[ref.index, "score_sem"], ref.apply(lambda r: scipy_sem(r), axis=1), atol=1e-12
    )


def test_bootstrap_with_unequal_seed_counts_matches_pandas(main, normalizer) -> None:
    # Drop some seeds so the cells differ in size: the per-cell draw path must still match.
    datasets = ["benv2", "so2sat"]
    sub = main[main["dataset"].isin(datasets) & main["backbone"].isin(["resnet50", "clay_v1_base"])]
    sub = sub.drop(sub.index[[0, 7, 8]])
    ref = _leaderboard_bootstrap(sub, datasets, normalizer, repeat=6)
    boot = stratified_bootstrap_iqm(
        sub.assign(normalized=normalizer.normalize_frame(sub)), n_bootstrap=6
    )
    got = boot.pivot(index="backbone", columns="replicate", values="iqm")
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=0, atol=1e-12)


def test_capability_scores_rankings_and_intervals(main, board) -> None:
    g = board.groups
    mt = rank_methods(g, "Multi-Temporal")
    # Multi-Temporal: TerraMind large leads, then Clay, then TerraMind base (leaderboard ×100).
    assert mt["backbone"].tolist()[:3] == [
        "terramind_v1_large",
        "clay_v1_base",
        "terramind_v1_base",
    ]
    assert [leaderboard_value(v) for v in mt["score"][:3]] == [94.1, 81.7, 77.4]
    cls = rank_methods(g, "Classification")
    assert cls["backbone"].iloc[0] == "dinov3_convnext_large"
    assert leaderboard_value(cls["score"].iloc[0]) == 80.4
    # The point IQM of TerraMind large on Multi-Temporal by hand: 4 datasets × 5 seeds = 20 runs,
    # normalised; the IQM drops the 5 lowest and 5 highest and averages the middle 10.
    tm = main[
        (main["backbone"] == "terramind_v1_large")
        & main["dataset"].isin(GEOBENCH2_CAPABILITY_GROUPS["Multi-Temporal"])
    ]
    vals = np.sort(board.normalizer.normalize_frame(tm).to_numpy())
    assert vals.size == 20
    row = mt.iloc[0]
    assert row["iqm"] == pytest.approx(vals[5:15].mean(), abs=1e-12)
    assert row["n_runs"] == 20 and row["n_datasets"] == 4
    scored = g.dropna(subset=["score"])
    assert (scored["ci_low"] <= scored["score"]).all() and (
        scored["score"] <= scored["ci_high"]
    ).all()
    assert (scored["ci_high"] - scored["ci_low"] > 0).all()
    assert (scored["score_sem"] > 0).all()


def test_methods_missing_a_dataset_get_no_group_score(board) -> None:
    core = board.groups[board.groups["group"] == "Core"].set_index("backbone")
    # dofa_base_patch16_224 has no detection runs in this submission: 12 Core datasets, it has 10.
    assert core.loc["dofa_base_patch16_224", "n_datasets"] < len(
        GEOBENCH2_CAPABILITY_GROUPS["Core"]
    )
    assert np.isnan(core.loc["dofa_base_patch16_224", "score"])
    assert core["score"].notna().sum() == 14
    assert set(board.groups["group"]) == set(GEOBENCH2_CAPABILITY_GROUPS)


def test_group_needs_all_its_datasets_in_the_table(normalizer) -> None:
    frozen = _submission(FROZEN)  # no detection datasets
    agg = aggregate_groups(
        frozen, GEOBENCH2_CAPABILITY_GROUPS, normalizer=normalizer, n_bootstrap=5
    )
    assert "Core" not in set(agg["group"]) and "Detection (Object/Instance)" not in set(
        agg["group"]
    )
    assert {"Classification", "Multi-Temporal", "Pixel-wise"} <= set(agg["group"])


def test_bootstrap_is_seeded(main, normalizer) -> None:
    groups = {"Classification": GEOBENCH2_CAPABILITY_GROUPS["Classification"]}
    a = aggregate_groups(main, groups, normalizer=normalizer, n_bootstrap=20, seed=7)
    b = aggregate_groups(main, groups, normalizer=normalizer, n_bootstrap=20, seed=7)
    c = aggregate_groups(main, groups, normalizer=normalizer, n_bootstrap=20, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["score"], c["score"])
    np.testing.assert_allclose(a["iqm"], c["iqm"])  # the point estimate does not depend on the RNG


def test_table_normaliser_and_overall_group_on_a_small_table() -> None:
    # Two methods, two datasets, three seeds: normalised by the table's own min and max.
    df = pd.DataFrame(
        {
            "dataset": ["d1"] * 6 + ["d2"] * 6,
            "backbone": (["A"] * 3 + ["B"] * 3) * 2,
            "test_metric": [0.50, 0.60, 0.70, 0.30, 0.40, 0.20, 10.0, 30.0, 20.0, 40.0, 50.0, 60.0],
        }
    )
    per = per_dataset_scores(df, n_bootstrap=200, seed=0).set_index(["backbone", "dataset"])
    # d1 range [0.2, 0.7]: A normalised 0.6, 0.8, 1.0 -> IQM (int(0.75)=0 cut) = mean = 0.8
    assert per.loc[("A", "d1"), "normalized_iqm"] == pytest.approx(0.8)
    assert per.loc[("B", "d2"), "normalized_iqm"] == pytest.approx(0.8)  # 0.6, 0.8, 1.0
    assert per.loc[("A", "d1"), "mean"] == pytest.approx(0.6)
    assert 0.5 <= per.loc[("A", "d1"), "ci_low"] <= 0.6 <= per.loc[("A", "d1"), "ci_high"] <= 0.7
    agg = aggregate_groups(df, n_bootstrap=50, seed=0).set_index("backbone")
    assert set(agg["group"]) == {"overall"}
    # A pooled: d1 0.6,0.8,1.0 ; d2 0,0.4,0.2 -> sorted 0,0.2,0.4,0.6,0.8,1.0, cut 1 -> 0.5
    assert agg.loc["A", "iqm"] == pytest.approx(0.5)
    assert agg.loc["B", "iqm"] == pytest.approx((0.4 + 0.6 + 0.8 + 0.2) / 4)
    assert rank_methods(agg.reset_index(), "overall")["backbone"].tolist() == ["B", "A"]


def test_capability_tag_mapping_round_trips() -> None:
    tags = capability_tags()
    assert tags["benv2"] == (
        "Core",
        "Multi-Spectral-Dependent",
        "Classification",
        "10m and Above Resolution",
    )
    assert set(tags) == set(GEOBENCH2_DATASETS)
    back = capability_groups(tags)
    assert {g: set(d) for g, d in back.items()} == {
        g: set(d) for g, d in GEOBENCH2_CAPABILITY_GROUPS.items()
    }


def test_missing_columns_are_named() -> None:
    with pytest.raises(ConfigError, match="backbone"):
        per_dataset_scores(pd.DataFrame({"dataset": ["a"], "test_metric": [1.0]}))
