"""Shared timing harness of the benchmarks: interleaved rounds, pinned threads, a bootstrap CI.

Every benchmark compares sides (ours, a peer, a floor) that run the same work. On a shared
machine the load drifts, so one side after the other measures the load as much as the code. This
module therefore

* runs the sides interleaved for ``rounds`` rounds — A B, then B A, … (every side once per round,
  the first side alternating so that neither always runs first after an idle pause);
* pins each side's thread count explicitly before each of its runs: ``torch.set_num_threads``,
  the BLAS/OpenMP pools (threadpoolctl) and ``OMP/MKL/OPENBLAS_NUM_THREADS`` (inherited by any
  subprocess the side starts); a side that owns its own pool (ONNX Runtime, a reader's thread
  pool) receives the same number through its ``threads`` field;
* reports each side's median and a paired bootstrap 95 % CI of the ratio of medians (rounds are
  resampled as pairs, since runs adjacent in time share the machine's load);
* records the load average before and after, the CPUs this process may use, every side's
  threads and the versions of the packages involved;
* prints ``RESULT <name> <figure>=<value> ci95=[lo,hi] threads=<…> load=<…> goal=<g> PASS|FAIL``,
  PASS only when the unfavourable end of the CI clears the goal.

Timed benchmarks are meant to run under the team's CPU lock (``flock <lockfile> python …``), so
two timings never overlap; the load average recorded here says what else was running.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
REPO = Path(__file__).resolve().parents[1]


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's core count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_average() -> str:
    """``1/5/15``-minute load averages, e.g. ``1.02/0.88/0.75``."""
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


@contextlib.contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` intra-op threads everywhere a library may start a pool."""
    saved_env = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update({k: str(threads) for k in THREAD_ENV})
    torch = sys.modules.get("torch")  # only pin torch if the side already imported it
    saved_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=threads)
    except ImportError:  # threadpoolctl ships with scikit-learn; without it only env + torch
        limits = contextlib.nullcontext()
    try:
        with limits:
            yield
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if torch is not None and saved_torch is not None:
            torch.set_num_threads(saved_torch)


def child_env(threads: int) -> dict[str, str]:
    """Environment of a subprocess pinned to ``threads`` (read by OpenMP/MKL at start-up)."""
    return {**os.environ, **{k: str(threads) for k in THREAD_ENV}}


@dataclass
class Side:
    """One way of doing the work.

    ``run()`` does the whole timed unit of work once and returns ``None`` (the wall time around
    the call is its figure), its own seconds, or a dict with ``seconds`` (optional) and any
    other per-run figures (``peak_rss_mb``, detections, …). ``threads``
    is pinned around every call (see ``pinned_threads``); a side with its own pool must also
    size that pool from it. ``note`` says which configuration this is (shown in the report).
    """

    name: str
    run: Callable[[], float | dict | None]
    threads: int
    note: str = ""
    runs: list[dict] = field(default_factory=list)

    def seconds(self) -> np.ndarray:
        return np.array([r["seconds"] for r in self.runs], dtype=float)

    def median(self, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in self.runs)

    def call(self) -> dict:
        with pinned_threads(self.threads):
            t0 = time.perf_counter()
            out = self.run()
            wall = time.perf_counter() - t0
        if out is None:  # the side did its work; the wall time around it is the figure
            res = {}
        elif isinstance(out, (int, float)):
            res = {"seconds": float(out)}
        else:
            res = dict(out)
        res.setdefault("seconds", wall)
        return res


def interleave(
    sides: Sequence[Side], rounds: int, warmup: int = 1, verbose: bool = True
) -> Sequence[Side]:
    """Run every side ``warmup`` untimed times, then ``rounds`` interleaved timed rounds."""
    for _ in range(warmup):
        for s in sides:
            s.call()
    for r in range(rounds):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for s in order:
            res = s.call()
            res["load1"] = os.getloadavg()[0]
            s.runs.append(res)
            if verbose:
                extra = "  ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in res.items()
                    if k not in ("seconds", "load1")
                )
                print(
                    f"round {r}: {s.name:<28s} {res['seconds']:9.3f} s  "
                    f"[{s.threads} thr, load {res['load1']:.2f}]  {extra}",
                    flush=True,
                )
    return sides


def _paired(num: Sequence[float], den: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(num, float), np.asarray(den, float)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"need paired, non-empty rounds, got {len(a)} and {len(b)}")
    return a, b


def _resampled_rounds(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n)`` round indices drawn with replacement (pairs stay together)."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _interval(boot: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(boot, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def bootstrap_ratio_ci(
    num: Sequence[float],
    den: Sequence[float],
    n_boot: int = 4000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``median(num) / median(den)`` and its percentile bootstrap CI, resampling rounds as pairs
    (``num[i]`` and ``den[i]`` ran in the same round)."""
    a, b = _paired(num, den)
    idx = _resampled_rounds(len(a), n_boot, seed)
    boot = np.median(a[idx], axis=1) / np.median(b[idx], axis=1)
    return float(np.median(a) / np.median(b)), *_interval(boot, level)


def paired_ratio_ci(
    num: Sequence[float],
    den: Sequence[float],
    n_boot: int = 4000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Median of the per-round ratios ``num[i] / den[i]`` and its percentile bootstrap CI.

    For sides run back to back in every round: a load change between rounds moves both
    members of a pair, so it cancels in their ratio instead of widening the CI as it does
    for a ratio of the two sides' medians (:func:`bootstrap_ratio_ci`)."""
    a, b = _paired(num, den)
    r = a / b
    boot = np.median(r[_resampled_rounds(len(r), n_boot, seed)], axis=1)
    return float(np.median(r)), *_interval(boot, level)


def paired_diff_ci(
    a: Sequence[float], b: Sequence[float], n_boot: int = 4000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of ``a[i] - b[i]`` and its percentile bootstrap CI, resampling the pairs (e.g. two
    sides' quality metric at the same seed, one pair per round)."""
    x, y = _paired(a, b)
    d = x - y
    boot = d[_resampled_rounds(len(d), n_boot, seed)].mean(axis=1)
    return float(d.mean()), *_interval(boot, level)


def versions(packages: Sequence[str]) -> str:
    """``name version`` of each installed distribution (``-`` if absent), plus Python."""
    out = [f"python {platform.python_version()}"]
    for p in packages:
        try:
            out.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            out.append(f"{p} -")
    return ", ".join(out)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


class Bench:
    """One benchmark run: its sides' context, and its RESULT lines.

    ``Bench(name, packages)`` prints the context header (CPUs, load, versions, commit); then
    ``result(...)`` turns two sides' rounds into a ratio with its CI and prints the RESULT line.
    """

    def __init__(self, name: str, packages: Sequence[str] = ()):
        self.name = name
        self.load_start = load_average()
        self.t0 = time.perf_counter()
        print(
            f"benchmark {name}: {usable_cpus()} usable CPU(s) of {os.cpu_count()}, "
            f"load {self.load_start} at start, commit {git_commit()}"
        )
        print(f"versions: {versions(packages)}", flush=True)

    def summary(self, sides: Sequence[Side], keys: Sequence[str] = ()) -> None:
        """One line per side: median seconds (and median of each extra key), threads, note."""
        for s in sides:
            t = s.seconds()
            extra = "".join(f", median {k} {s.median(k):.4g}" for k in keys)
            print(
                f"{s.name:<28s} median {statistics.median(t):8.3f} s "
                f"(min {t.min():.3f}, max {t.max():.3f}, {len(t)} rounds){extra}  "
                f"threads {s.threads}  {s.note}"
            )

    def result(
        self,
        figure: str,
        num: Sequence[float],
        den: Sequence[float],
        goal: float,
        threads: str,
        higher_is_better: bool = True,
        name: str | None = None,
        extra_ok: bool = True,
        extra: str = "",
    ) -> bool:
        """Print ``RESULT`` for ``median(num)/median(den)`` (e.g. peer seconds / our seconds =
        our speed-up). PASS when the CI's unfavourable end clears ``goal`` and ``extra_ok``
        (a side condition such as identical outputs, described in ``extra``)."""
        point, lo, hi = bootstrap_ratio_ci(num, den)
        threads = threads.replace(" ", "_")  # one token on the RESULT line
        bound = lo if higher_is_better else hi
        ok = (bound >= goal if higher_is_better else bound <= goal) and extra_ok
        load = load_average()
        print(
            f"RESULT {name or self.name} {figure}={point:.3f} ci95=[{lo:.3f},{hi:.3f}] "
            f"threads={threads} load={load} rounds={len(num)}{' ' + extra if extra else ''} "
            f"goal={goal:g} {'PASS' if ok else 'FAIL'}",
            flush=True,
        )
        return ok

    def done(self) -> None:
        print(
            f"benchmark {self.name} took {time.perf_counter() - self.t0:.0f} s; "
            f"load {self.load_start} at start, {load_average()} at end"
        )


def standard_args(parser, rounds: int = 5) -> None:
    """``--rounds``/``--threads`` of every benchmark (equal threads on every side by default)."""
    parser.add_argument("--rounds", type=int, default=rounds, help="interleaved timed rounds")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads of every side at equal resources (default: every usable CPU)",
    )


def resolve_threads(threads: int | None) -> int:
    return threads if threads and threads > 0 else usable_cpus()
