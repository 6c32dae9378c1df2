"""Fuzz suite of the eight tools in tools/: malformed inputs, bad flags, unreachable URLs and
unwritable or existing outputs, each expecting one clear line, the exit code, no traceback, no
output written and an answer within 10 s. The inputs come from ``tests/fuzz_inputs.py``.

Every case runs in-process through the tool's ``main(argv)`` (cheap); a representative subset
runs again as real processes (``@pytest.mark.slow``) to check exit status and stderr as a user
sees them. The cases live in ``tests/fuzz_cases.py`` and ``tests/fuzz_cases_services.py``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from fuzz_cases import SUBPROCESS_IDS, Case, all_cases  # noqa: E402
from fuzz_inputs import closed_port, write_all  # noqa: E402

CASES = all_cases()
_TOOLS: dict[str, object] = {}
PREFIXES = ("error: ", "geoparse: error: ", "sweep error: ")


def tool(name: str):
    if name not in _TOOLS:
        spec = importlib.util.spec_from_file_location(f"fuzz_{name}", REPO / "tools" / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _TOOLS[name] = mod
    return _TOOLS[name]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("fuzz_inputs")
    files = {k: str(v) for k, v in write_all(folder).items()}
    ro = folder / "read_only"
    ro.mkdir()
    ro.chmod(0o555)
    # root ignores permission bits; sysfs is read-only for everyone
    files["ro_dir"] = str(ro) if os.geteuid() != 0 else "/sys"
    files["port"] = str(closed_port())
    files["repo"] = str(REPO)
    return files


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


def _argv(case: Case, inputs: dict[str, str], work: Path) -> list[str]:
    return [a.format(W=work, **inputs) for a in case.argv]


def _check(case: Case, rc: int, out: str, err: str, seconds: float) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in out + err, err[-3000:]
    assert rc == case.rc, f"rc {rc} != {case.rc}: {err[-2000:]}"
    assert seconds < 10, f"took {seconds:.1f} s"
    if case.rc == 0:
        assert case.fragment in out, out[-2000:]
        return
    if case.stdout_ok:  # tools that report per item (fetch_samples' FAILED lines)
        assert case.fragment in err, err
        return
    assert len(lines) == 1, f"expected one line, got {len(lines)}: {err[-2000:]}"
    assert lines[0].startswith(PREFIXES), lines[0]
    assert case.fragment in lines[0], f"{case.fragment!r} not in {lines[0]!r}"


def _setup(case: Case, inputs: dict[str, str], work: Path, monkeypatch) -> None:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value.format(W=work, **inputs))
    for key in case.unset_env:
        monkeypatch.delenv(key, raising=False)
    if case.prepare is not None:
        case.prepare(work, inputs, monkeypatch)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_tool_input(case: Case, inputs, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("GEOARENA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # no registry in tests: a download fails at once
    _setup(case, inputs, work, monkeypatch)
    main = tool(case.tool).main
    capsys.readouterr()
    before = _snapshot(work)
    existing = Path(inputs["existing_out"]).read_text()
    t0 = time.perf_counter()
    rc = main(_argv(case, inputs, work))
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    _check(case, rc, out, err, seconds)
    if case.rc != 0:  # nothing written: no partial outputs, no touched existing files
        after = _snapshot(work)
        if case.makes_cache:
            after = {k: v for k, v in after.items() if not (work / k).is_dir()}
        assert after == before
    assert Path(inputs["existing_out"]).read_text() == existing
    assert not (Path(inputs["evil_pt"]).parent / "PWNED").exists()
    if case.after is not None:
        case.after(work, inputs)


def test_the_suite_is_big_enough():
    per_tool: dict[str, int] = {}
    for c in CASES:
        per_tool[c.tool] = per_tool.get(c.tool, 0) + 1
    assert len(CASES) >= 120 and len(per_tool) == 8 and min(per_tool.values()) >= 8, per_tool
    assert len({c.id for c in CASES}) == len(CASES)


SUBPROCESS_CASES = [c for c in CASES if c.id in SUBPROCESS_IDS]


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_tool_input_as_a_process(case: Case, inputs, tmp_path):
    """What a user sees: exit status and stderr of the real process (warnings included)."""
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(GEOARENA_CACHE=str(tmp_path / "cache"), PIP_NO_INDEX="1")
    env.update({k: v.format(W=work, **inputs) for k, v in case.env.items()})
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / f"{case.tool}.py"), *_argv(case, inputs, work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    startup = time.perf_counter() - t0
    # the interpreter start and imports are the user's cost too, but on a loaded 2-core
    # machine they alone can take seconds: the 10 s bound applies to the in-process run
    _check(case, proc.returncode, proc.stdout, proc.stderr, min(startup, 9.9))
    assert list(work.iterdir()) == []


def test_deleted_sample_files_are_re_extracted(inputs, tmp_path, monkeypatch, capsys):
    """fetch_samples says "ok" only when the files are there: a deleted file is restored."""
    from geoarena.core.registry import SAMPLES
    from geoarena.core.samples import SampleSource, sha256_file

    drop = tmp_path / "drop"
    drop.mkdir()
    archive = drop / "fuzzy-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("fuzzy/data/a.txt", "hello")
    src = SampleSource(
        "fuzzy-1.0", "pypi-wheel", "fuzzy", "1.0", archive.name, sha256_file(archive), "MIT", "t"
    )
    SAMPLES.names()
    monkeypatch.setattr(SAMPLES, "_entries", dict(SAMPLES._entries))
    SAMPLES.add(src.name, src)
    monkeypatch.setenv("GEOARENA_SAMPLES_DIR", str(drop))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    cache = tmp_path / "cache"
    fetch = tool("fetch_samples").main
    assert fetch(["fuzzy-1.0", "--cache-dir", str(cache)]) == 0
    data = cache / "samples" / "fuzzy-1.0" / "fuzzy" / "data" / "a.txt"
    data.unlink()
    assert fetch(["fuzzy-1.0", "--cache-dir", str(cache)]) == 0
    assert data.read_text() == "hello" and "ok fuzzy-1.0" in capsys.readouterr().out
    data.unlink()
    archive.unlink()
    assert fetch(["fuzzy-1.0", "--cache-dir", str(cache)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("FAILED fuzzy-1.0: ") and "not available" in err and not data.exists()


def test_fetch_samples_without_names_leaves_on_demand_sources_alone(tmp_path, monkeypatch, capsys):
    """Large pretrained-weight archives are fetched when named (or first used), not by
    ``make samples``; ``--list`` marks them."""
    from geoarena.core.registry import SAMPLES
    from geoarena.core.samples import sample_source

    mod = tool("fetch_samples")
    asked: list[str] = []
    monkeypatch.setattr(mod, "sample_path", lambda name, cache=None: asked.append(name) or name)
    assert mod.main(["--cache-dir", str(tmp_path)]) == 0
    on_demand = {n for n in SAMPLES.names() if sample_source(n).on_demand}
    assert "ukis-csmask-1.0.0" in on_demand
    assert set(asked) == set(SAMPLES.names()) - on_demand and asked
    asked.clear()
    assert mod.main(["ukis-csmask-1.0.0", "--cache-dir", str(tmp_path)]) == 0
    assert asked == ["ukis-csmask-1.0.0"]
    capsys.readouterr()
    assert mod.main(["--list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("ukis-csmask"))
    assert line.endswith("(on demand)")
