"""The benchmark harness: interleaving, thread pinning, the ratio's CI and the PASS rule."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_harness", Path(__file__).resolve().parents[1] / "benchmarks" / "_harness.py"
)
harness = importlib.util.module_from_spec(_spec)
sys.modules["bench_harness"] = harness  # dataclasses look their module up there
_spec.loader.exec_module(harness)


def test_ratio_ci_brackets_the_ratio_and_is_exact_without_noise():
    point, lo, hi = harness.bootstrap_ratio_ci([2.0] * 5, [1.0] * 5)
    assert (point, lo, hi) == (2.0, 2.0, 2.0)
    rng = np.random.default_rng(1)
    num = 3.0 + rng.normal(0, 0.3, 9)
    den = 1.0 + rng.normal(0, 0.1, 9)
    point, lo, hi = harness.bootstrap_ratio_ci(num, den)
    assert lo < point < hi
    assert point == pytest.approx(np.median(num) / np.median(den))
    with pytest.raises(ValueError, match="paired"):
        harness.bootstrap_ratio_ci([1.0, 2.0], [1.0])


def test_paired_ratio_ci_cancels_drift_shared_by_both_sides_of_a_round():
    # both sides slow down together from round to round (load drift); within a round our
    # side is 2 % slower: the per-round ratio sees exactly 1.02, the ratio of medians does not
    drift = np.array([1.0, 1.3, 0.9, 1.25, 1.1, 0.95, 1.4])
    bare = 2.0 * drift
    ours = bare * 1.02
    assert harness.paired_ratio_ci(ours, bare) == pytest.approx((1.02, 1.02, 1.02))
    jitter = np.array([1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0])
    point, lo, hi = harness.paired_ratio_ci(ours * jitter, bare)
    assert lo <= point <= hi and hi - lo < 0.05
    assert point == pytest.approx(np.median(1.02 * jitter))
    _, m_lo, m_hi = harness.bootstrap_ratio_ci(ours * jitter, bare[::-1])
    assert m_hi - m_lo > hi - lo  # unpaired drift widens the ratio of medians
    with pytest.raises(ValueError, match="paired"):
        harness.paired_ratio_ci([1.0], [1.0, 2.0])


def test_pass_needs_the_lower_bound_to_clear_the_goal(capsys):
    bench = harness.Bench("unit")
    # ratio 2.0 with a CI reaching below 1.5: FAIL at goal 1.5 although the point clears it
    ok = bench.result("speedup", [1.0, 2.0, 3.0, 2.0, 4.0], [1.0] * 5, 1.5, "ours:1,peer:1")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert not ok and line.startswith("RESULT unit speedup=2.000 ci95=[")
    assert "threads=ours:1,peer:1" in line and "goal=1.5" in line and line.endswith("FAIL")
    assert bench.result("speedup", [2.0] * 4, [1.0] * 4, 1.5, "x")
    assert capsys.readouterr().out.strip().endswith("PASS")
    # lower is better: the CI's upper end must stay under the goal
    assert bench.result("rss_ratio", [1.05] * 3, [1.0] * 3, 1.1, "x", higher_is_better=False)
    assert not bench.result("rss_ratio", [1.2] * 3, [1.0] * 3, 1.1, "x", higher_is_better=False)
    # a failed side condition (e.g. different outputs) fails the line whatever the ratio
    assert not bench.result("speedup", [9.0] * 3, [1.0] * 3, 1.5, "x", extra_ok=False)


def test_interleave_alternates_order_and_pins_threads():
    torch = pytest.importorskip("torch")
    seen: list[tuple[str, int, str]] = []

    def side(name):
        def run():
            seen.append((name, torch.get_num_threads(), os.environ["OMP_NUM_THREADS"]))
            return 0.5

        return run

    before = torch.get_num_threads()
    a = harness.Side("a", side("a"), 1)
    b = harness.Side("b", side("b"), 2)
    harness.interleave([a, b], rounds=3, warmup=1, verbose=False)
    assert [s[0] for s in seen] == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert {(n, t, e) for n, t, e in seen} == {("a", 1, "1"), ("b", 2, "2")}
    assert torch.get_num_threads() == before  # restored after every call
    assert list(a.seconds()) == [0.5, 0.5, 0.5] and len(b.runs) == 3


def test_paired_diff_ci_is_exact_without_noise_and_brackets_the_mean():
    assert harness.paired_diff_ci([0.3, 0.4], [0.2, 0.3]) == pytest.approx((0.1, 0.1, 0.1))
    # the vs_terratorch seeds 0-3: a +0.04 mean difference whose CI spans 0
    ours, tt = [0.3898, 0.2668, 0.2974, 0.2747], [0.2324, 0.3021, 0.2054, 0.3295]
    mean, lo, hi = harness.paired_diff_ci(ours, tt)
    assert mean == pytest.approx(np.mean(np.subtract(ours, tt)))
    assert lo < 0 < mean < hi
    with pytest.raises(ValueError, match="paired"):
        harness.paired_diff_ci([1.0], [1.0, 2.0])


BENCHMARKS = (
    "chip_throughput",
    "geobench_aggregate",
    "logging_overhead",
    "pc_inference",
    "scene_inference",
    "sliced_detection",
    "sweep_scaling",
    "vs_terratorch",
)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_runs_on_the_harness_and_answers_help(name):
    import subprocess
    import sys as _sys

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    assert "from _harness import" in path.read_text()
    res = subprocess.run(
        [_sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "--rounds" in res.stdout
