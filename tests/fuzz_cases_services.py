"""Fuzz cases of the tools that talk to stores and services (report, sweep, run_benchmark,
fetch_samples); see ``fuzz_cases.py`` for the templates' placeholders."""

from __future__ import annotations

from fuzz_cases import Case, _c


def _report() -> list[Case]:
    o = "--out {W}/rep"
    cases = [
        ("csv-missing", f"--csv {{W}}/none.csv {o}", "no such file"),
        ("csv-empty", f"--csv {{empty_csv}} {o}", "empty file"),
        ("csv-wrong", f"--csv {{wrong_csv}} {o}", "not a results table: missing column(s)"),
        ("csv-5mb-no-newline", f"--csv {{big_csv}} {o}", "no header line in the first"),
        ("csv-5mb-rows", f"--csv {{big_rows_csv}} {o}", "not a results table"),
        ("csv-binary", f"--csv {{binary_csv}} {o}", "binary data, not a CSV file"),
        ("csv-latin1", f"--csv {{latin1_csv}} {o}", "not UTF-8 text"),
        ("csv-las", f"--csv {{good_las}} {o}", "binary data"),
        ("csv-folder", f"--csv {{existing_dir}} {o}", "is a folder"),
        (
            "normalizer-missing",
            f"--csv {{header_csv}} --normalizer {{W}}/n.json {o}",
            "--normalizer",
        ),
        ("out-is-file", "--csv {header_csv} --out {a_file}", "is a file, expected a folder"),
        (
            "out-has-report-csv",
            "--csv {header_csv} --out {existing_dir}",
            "already holds report.md",
        ),
        (
            "uri-closed",
            f"--suite default --tracking-uri http://127.0.0.1:{{port}} {o}",
            "cannot reach 127.0.0.1",
        ),
        (
            "uri-pg-closed",
            f"--suite default --tracking-uri postgresql://u:secret@127.0.0.1:{{port}}/db {o}",
            "postgresql://u:***@127.0.0.1",
        ),
        ("uri-scheme", f"--suite default --tracking-uri gopher://x {o}", "unsupported scheme"),
        (
            "uri-junk",
            f"--suite default --tracking-uri sqlite:///{{sqlite_junk}} {o}",
            "not a SQLite database",
        ),
        (
            "uri-no-folder",
            f"--suite default --tracking-uri sqlite:///{{W}}/no/m.db {o}",
            "does not exist",
        ),
        (
            "out-has-report",
            "--suite default --tracking-uri sqlite:///{W}/m.db --out {existing_dir}",
            "already holds report.md",
        ),
        (
            "out-under-file",
            "--suite default --tracking-uri sqlite:///{W}/m.db --out {a_file}/rep",
            "is a file, cannot create",
        ),
        (
            "out-read-only",
            "--suite default --tracking-uri sqlite:///{W}/m.db --out {ro_dir}/rep",
            "is not writable",
        ),
        ("bootstrap-0", f"--csv {{wrong_csv}} {o} --n-bootstrap 0", "argument --n-bootstrap"),
        ("ci-2", f"--csv {{wrong_csv}} {o} --ci 2", "argument --ci"),
        ("seed-neg", f"--csv {{wrong_csv}} {o} --seed -3", "argument --seed"),
        ("no-source", o, "one of the arguments --suite --csv is required"),
        ("both-sources", f"--suite a --csv {{wrong_csv}} {o}", "not allowed with argument"),
    ]
    out = [_c("report", cid, a, 2, frag) for cid, a, frag in cases]
    out.append(
        _c(
            "report",
            "uri-file-two-lines",
            f"--suite default {o}",
            2,
            "exactly one line",
            env={"MLFLOW_TRACKING_URI_FILE": "{two_line_url}"},
        )
    )
    return out


def _sweep() -> list[Case]:
    toy = "{repo}/experiments/toy_quadratic.py"
    s = "--study fz --storage memory --no-tracking"
    cases = [
        ("exp-missing", f"{{W}}/none.py {s}", "no such file"),
        ("exp-empty", f"{{empty_csv}} {s}", "empty file"),
        ("exp-syntax", f"{{syntax_py}} {s}", "not a valid Python file (line 1"),
        ("exp-noconfig", f"{{noconfig_py}} {s}", "defines no config()"),
        ("exp-raises", f"{{raising_py}} {s}", "importing it raised RuntimeError: boom at import"),
        ("exp-latin1", f"{{latin1_py}} {s}", "not a valid Python file"),
        ("exp-5mb-text", f"{{big_py}} {s}", "not a valid Python file"),
        ("exp-folder", f"{{existing_dir}} {s}", "is a folder"),
        (
            "storage-scheme",
            f"{toy} --study fz --storage mysql://h/db --no-tracking",
            "unsupported sweep storage",
        ),
        (
            "storage-pg-closed",
            f"{toy} --study fz --storage postgresql://u:pw@127.0.0.1:{{port}}/db --no-tracking --connect-timeout 2",
            "postgresql://u:***@127.0.0.1",
        ),
        (
            "storage-junk",
            f"{toy} --study fz --storage sqlite:///{{sqlite_junk}} --no-tracking",
            "not a SQLite database",
        ),
        (
            "storage-no-folder",
            f"{toy} --study fz --storage journal:{{W}}/no/j.log --no-tracking",
            "does not exist",
        ),
        (
            "tracking-closed",
            f"{toy} --study fz --storage memory --tracking-uri http://127.0.0.1:{{port}} --connect-timeout 2",
            "cannot reach 127.0.0.1",
        ),
        (
            "tracking-scheme",
            f"{toy} --study fz --storage memory --tracking-uri s3://bucket",
            "unsupported scheme 's3'",
        ),
        (
            "report-exists",
            f"{toy} {s} --report {{existing_out}}",
            "already exists; pass --overwrite",
        ),
        ("report-no-parent", f"{toy} {s} --report {{W}}/no/r.md", "does not exist"),
        ("report-read-only", f"{toy} {s} --report {{ro_dir}}/r.md", "is not writable"),
        ("n-trials-0", f"{toy} {s} --n-trials 0", "argument --n-trials"),
        ("workers-0", f"{toy} {s} --workers 0", "argument --workers"),
        ("timeout-neg", f"{toy} {s} --timeout -5", "argument --timeout"),
        ("connect-0", f"{toy} {s} --connect-timeout 0", "argument --connect-timeout"),
        ("sampler-seed-neg", f"{toy} {s} --sampler-seed -1", "argument --sampler-seed"),
        ("sampler-seed-huge", f"{toy} {s} --sampler-seed 99999999999", "argument --sampler-seed"),
        ("worker-index-neg", f"{toy} {s} --worker-index -2", "argument --worker-index"),
        ("seeds", f"{toy} {s} --final-seeds a,b", "--final-seeds 'a,b'"),
        ("both", f"{toy} --suite default {s}", "give either an EXPERIMENT file or --suite"),
        ("sampler", f"{toy} {s} --sampler grid", "invalid choice: 'grid'"),
        ("no-study", f"{toy} --storage memory", "required: --study"),
        ("set-bad", f"{toy} {s} --set nonsense", "nonsense"),
    ]
    out = [_c("sweep", cid, a, 2, frag) for cid, a, frag in cases]
    out.append(
        _c(
            "sweep",
            "storage-env-file",
            f"{toy} --study fz --no-tracking",
            2,
            "exactly one line",
            env={"GEOARENA_SWEEP_STORAGE_FILE": "{two_line_url}"},
            unset_env=("GEOARENA_SWEEP_STORAGE",),
        )
    )
    out.append(
        _c(
            "sweep",
            "storage-at-file",
            f"{toy} --study fz --no-tracking --storage @{{W}}/none.url",
            2,
            "no such file",
        )
    )
    return out


def _run_benchmark() -> list[Case]:
    cases = [
        ("suite", "--suite nope", "unknown suite 'nope'"),
        ("task", "--tasks test/nope", "unknown task 'test/nope'"),
        ("set", "--set train.nope=1", "nope"),
        ("set-shape", "--set nonsense", "nonsense"),
        ("seeds", "--seeds a,b", "--seeds 'a,b': expected comma-separated int"),
        (
            "fractions",
            "--label-fractions x",
            "--label-fractions 'x': expected comma-separated float",
        ),
        ("uri-closed", "--tracking-uri http://127.0.0.1:{port}", "cannot reach 127.0.0.1"),
        (
            "uri-pg-secret",
            "--tracking-uri postgresql+psycopg2://u:hunter2@127.0.0.1:{port}/m",
            "u:***@127.0.0.1",
        ),
        ("uri-scheme", "--tracking-uri ftp://x/y", "unsupported scheme 'ftp'"),
        ("uri-junk", "--tracking-uri sqlite:///{sqlite_junk}", "not a SQLite database"),
        ("uri-no-folder", "--tracking-uri sqlite:///{W}/no/m.db", "does not exist"),
        ("uri-at-missing", "--tracking-uri @{W}/none.url", "no such file"),
        (
            "out-is-file",
            "--tracking-uri sqlite:///{W}/m.db --out {a_file}",
            "is a file, cannot create",
        ),
        (
            "out-read-only",
            "--tracking-uri sqlite:///{W}/m.db --out {ro_dir}/res",
            "is not writable",
        ),
        ("unknown-flag", "--turbo", "unrecognized arguments: --turbo"),
        ("protocol", "--protocols nope", "nope"),
    ]
    out = [_c("run_benchmark", cid, a, 2, frag) for cid, a, frag in cases]
    out.append(
        _c(
            "run_benchmark",
            "uri-env-file",
            "--out {W}/r",
            2,
            "exactly one line",
            env={"MLFLOW_TRACKING_URI_FILE": "{two_line_url}"},
        )
    )
    return out


def _fetch() -> list[Case]:
    cases = [
        ("unknown", "nope", "unknown sample source 'nope'"),
        ("unknown-2nd", "deepforest-2.1.0 nope", "unknown sample source 'nope'"),
        ("cache-under-file", "--cache-dir {a_file}/c", "is a file, cannot create"),
        ("cache-is-file", "--cache-dir {a_file}", "is a file, cannot create"),
        ("cache-read-only", "--cache-dir {ro_dir}/c", "is not writable"),
        ("flag", "--all", "unrecognized arguments: --all"),
        ("flag-value", "--list extra --cache-dir", "expected one argument"),
    ]
    out = [_c("fetch_samples", cid, a, 2, frag) for cid, a, frag in cases]
    out.append(
        _c(
            "fetch_samples",
            "no-archive",
            "deepforest-2.1.0 --cache-dir {W}/c",
            1,
            "FAILED deepforest-2.1.0: sample archive",
            stdout_ok=True,
            makes_cache=True,
        )
    )
    return out


SERVICE_CASES: list[Case] = [*_report(), *_sweep(), *_run_benchmark(), *_fetch()]
