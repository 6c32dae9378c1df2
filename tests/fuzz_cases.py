"""The fuzz cases of ``tests/test_fuzz_tools.py``: per tool, argv templates over the inputs of
``tests/fuzz_inputs.py`` (``{name}``), the case's work folder (``{W}``), a closed port
(``{port}``) and the repository (``{repo}``), with the expected exit code and a fragment of the
one-line message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    id: str
    tool: str
    argv: tuple[str, ...]
    rc: int
    fragment: str
    env: dict[str, str] = field(default_factory=dict)
    unset_env: tuple[str, ...] = ()
    prepare: Callable | None = None
    after: Callable | None = None
    stdout_ok: bool = False
    #: the tool's job is to fill a cache folder: empty folders it made are not partial outputs
    makes_cache: bool = False


def _c(tool: str, cid: str, argv: str | list[str], rc: int, fragment: str, **kw) -> Case:
    args = tuple(argv.split()) if isinstance(argv, str) else tuple(argv)
    return Case(f"{tool}-{cid}", tool, args, rc, fragment, **kw)


def _detect() -> list[Case]:
    ok = "--weights {tensor_pt} --input {good_tif} --output {W}/out.gpkg"
    w = "--input {good_tif} --output {W}/out.gpkg --weights"
    i = "--weights {tensor_pt} --output {W}/out.gpkg --input"
    o = "--weights {tensor_pt} --input {good_tif} --output"
    cases = [
        ("w-missing", f"{w} {{W}}/none.pt", "none.pt: no such file; pass a local"),
        ("w-empty", f"{w} {{empty_pt}}", "empty.pt: empty file"),
        ("w-text", f"{w} {{text_pt}}", "not a PyTorch checkpoint"),
        ("w-zip", f"{w} {{zip_pt}}", "unreadable checkpoint"),
        ("w-evil", f"{w} {{evil_pt}}", "refused: the checkpoint pickles"),
        ("w-folder", f"{w} {{existing_dir}}", "is a folder"),
        ("w-tif", f"{w} {{good_tif}}", "not a PyTorch checkpoint"),
        ("in-missing", f"{i} {{W}}/none.tif", "none.tif: no such file"),
        ("in-empty", f"{i} {{empty_tif}}", "empty file"),
        ("in-png", f"{i} {{png_tif}}", "not a GeoTIFF (a PNG image)"),
        ("in-trunc", f"{i} {{trunc_tif}}", "truncated raster"),
        ("in-trunc-head", f"{i} {{trunc_head_tif}}", "not a readable raster"),
        ("in-magic", f"{i} {{magic_only_tif}}", "not a readable raster"),
        ("in-text", f"{i} {{text_tif}}", "not a GeoTIFF"),
        ("in-5mb-text", f"{i} {{big_text_tif}}", "not a GeoTIFF"),
        ("in-nocrs", f"{i} {{nocrs_tif}}", "no CRS or geotransform"),
        ("in-one-band", f"{i} {{one_band_tif}}", "band 2 requested, the raster has 1"),
        ("in-folder", f"{i} {{existing_dir}}", "is a folder"),
        ("in-all-nan-float", f"{i} {{allnan_tif}}", "float32 bands; detection reads uint8 RGB"),
        ("bands", f"{ok} --bands 1 2 4", "band 4 requested, the raster has 3"),
        ("out-exists", f"{o} {{existing_out}}", "already exists; pass --overwrite"),
        ("out-folder", f"{o} {{existing_dir}}", "is a folder, expected a file path"),
        ("out-no-parent", f"{o} {{W}}/no/such/out.gpkg", "does not exist"),
        ("out-under-file", f"{o} {{a_file}}/out.gpkg", "is a file"),
        ("out-read-only", f"{o} {{ro_dir}}/out.gpkg", "is not writable"),
        ("slice-0", f"{ok} --slice 0", "argument --slice: 0 is outside"),
        ("overlap", f"{ok} --overlap 1.5", "argument --overlap: 1.5 is outside"),
        ("conf", f"{ok} --conf 2", "argument --conf: 2.0 is outside"),
        ("iou-nan", f"{ok} --iou nan", "not a finite number"),
        ("batch-neg", f"{ok} --batch -1", "argument --batch"),
        ("bands-text", f"{ok} --bands r g b", "argument --bands: 'r' is not an integer"),
        ("unknown-flag", f"{ok} --frobnicate", "unrecognized arguments: --frobnicate"),
        ("no-weights", "--input {good_tif} --output {W}/o.gpkg", "required: --weights"),
        ("backend", f"{ok} --backend tensorrt", "invalid choice: 'tensorrt'"),
    ]
    return [_c("detect", cid, a, 2, frag) for cid, a, frag in cases]


def _predict() -> list[Case]:
    t = "--tracking-uri sqlite:///{W}/mlflow.db"
    m = f"--model runs:/0123456789abcdef/model {t}"
    i = f"{m} --output {{W}}/out.tif --input"
    o = f"{m} --input {{good_tif}} --output"
    ok = f"{m} --input {{good_tif}} --output {{W}}/out.tif"
    cases = [
        (
            "model-shape",
            f"--model mymodel {t} --input {{good_tif}} --output {{W}}/o.tif",
            "expected models:/NAME@ALIAS",
        ),
        (
            "model-folder",
            f"--model {{existing_dir}} {t} --input {{good_tif}} --output {{W}}/o.tif",
            "a saved MLflow model folder",
        ),
        ("in-missing", f"{i} {{W}}/none.tif", "no such file"),
        ("in-empty", f"{i} {{empty_tif}}", "empty file"),
        ("in-png", f"{i} {{png_tif}}", "not a GeoTIFF (a PNG image)"),
        ("in-trunc", f"{i} {{trunc_tif}}", "truncated raster"),
        ("in-trunc-head", f"{i} {{trunc_head_tif}}", "not a readable raster"),
        ("in-nocrs", f"{i} {{nocrs_tif}}", "pass --allow-no-crs"),
        ("in-5mb-text", f"{i} {{big_text_tif}}", "not a GeoTIFF"),
        ("in-las-trunc", f"{i} {{trunc_las}}", "truncated"),
        ("in-las-text", f"{i} {{csv_las}}", "not a LAS/LAZ file"),
        ("in-text-missing", f"{i} {{W}}/article.txt", "no such file"),
        ("out-exists", f"{o} {{existing_out}}", "already exists; pass --overwrite"),
        ("out-folder", f"{o} {{existing_dir}}", "is a folder"),
        ("out-no-parent", f"{o} {{W}}/no/out.tif", "does not exist"),
        ("out-read-only", f"{o} {{ro_dir}}/out.tif", "is not writable"),
        ("gpkg-exists", f"{ok} --gpkg {{existing_out}}", "--gpkg"),
        (
            "uri-closed",
            "--model runs:/x/model --tracking-uri http://127.0.0.1:{port} --input {good_tif} --output {W}/o.tif",
            "cannot reach 127.0.0.1",
        ),
        (
            "uri-scheme",
            "--model runs:/x/model --tracking-uri ftp://host/x --input {good_tif} --output {W}/o.tif",
            "unsupported scheme 'ftp'",
        ),
        (
            "uri-junk-db",
            "--model runs:/x/model --tracking-uri sqlite:///{sqlite_junk} --input {good_tif} --output {W}/o.tif",
            "not a SQLite database",
        ),
        ("window-0", f"{ok} --window 0", "argument --window"),
        ("scales-0", f"{ok} --scales 0", "argument --scales"),
        ("batch-text", f"{ok} --batch many", "argument --batch"),
    ]
    return [_c("predict", cid, a, 2, frag) for cid, a, frag in cases]


def _classify() -> list[Case]:
    tr = "--train {good_las}"
    i = f"{{W}}/out.las {tr}"
    cases = [
        ("in-missing", f"{{W}}/none.las {i}", "no such file"),
        ("in-empty", f"{{empty_las}} {i}", "empty file"),
        ("in-zero-points", f"{{zero_las}} {i}", "holds 0 points"),
        ("in-trunc", f"{{trunc_las}} {i}", "truncated: 2000 points need"),
        ("in-odd-bytes", f"{{odd_las}} {i}", "truncated: 2000 points need"),
        ("in-trunc-laz", f"{{trunc_laz}} {i}", "truncated: LAZ chunk table"),
        ("in-head-laz", f"{{head_laz}} {i}", "truncated"),
        ("in-tiny", f"{{tiny_las}} {i}", "unreadable LAS header"),
        ("in-csv", f"{{csv_las}} {i}", "not a LAS/LAZ file"),
        ("in-tif", f"{{tif_las}} {i}", "not a LAS/LAZ file"),
        ("in-5mb-text", f"{{big_text}} {i}", "not a LAS/LAZ file"),
        ("train-trunc", "{good_las} {W}/out.las --train {trunc_laz}", "--train"),
        ("train-zero", "{good_las} {W}/out.las --train {zero_las}", "holds 0 points"),
        ("train-missing", "{good_las} {W}/out.las --train {W}/no.las", "no such file"),
        ("out-exists", f"{{good_las}} {{good_laz}} {tr}", "already exists; pass --overwrite"),
        ("out-suffix", f"{{good_las}} {{W}}/out.txt {tr}", "must end in .las or .laz"),
        ("out-is-input", f"{{good_las}} {{good_las}} {tr}", "is one of the inputs"),
        ("out-no-parent", f"{{good_las}} {{W}}/no/out.las {tr}", "does not exist"),
        ("out-read-only", f"{{good_las}} {{ro_dir}}/out.las {tr}", "is not writable"),
        ("tile-0", f"{{good_las}} {{W}}/o.las {tr} --tile-m 0", "argument --tile-m"),
        ("halo-neg", f"{{good_las}} {{W}}/o.las {tr} --halo-m -1", "argument --halo-m"),
        ("epochs-0", f"{{good_las}} {{W}}/o.las {tr} --epochs 0", "argument --epochs"),
        ("model", f"{{good_las}} {{W}}/o.las {tr} --model svm", "invalid choice: 'svm'"),
        ("class-map", f"{{good_las}} {{W}}/o.las {tr} --class-map x", "argument --class-map"),
        ("no-train", "{good_las} {W}/o.las", "required: --train"),
    ]
    return [_c("classify_las", cid, a, 2, frag) for cid, a, frag in cases]


def _geoparse() -> list[Case]:
    g = "--recognizer gazetteer --cache-dir {W}/gaz"
    cases = [
        ("missing", f"{{W}}/none.txt {g}", "no such file"),
        ("latin1", f"{{latin1_txt}} {g}", "not UTF-8 text"),
        ("binary", f"{{binary_txt}} {g}", "not UTF-8 text"),
        ("5mb-latin1", f"{{big_latin1_txt}} {g}", "not UTF-8 text (byte 52"),
        ("folder", f"{{existing_dir}} {g}", "no such file"),
        ("nothing", g, "nothing to parse"),
        ("out-exists", f"--text Paris -o {{existing_out}} {g}", "already exists; pass --overwrite"),
        ("out-no-parent", f"--text Paris -o {{W}}/no/out.json {g}", "does not exist"),
        ("out-read-only", f"--text Paris -o {{ro_dir}}/out.json {g}", "is not writable"),
        (
            "json-out-exists",
            f"--eval {{good_las}} --format lgl --json-out {{existing_out}} {g}",
            "already exists",
        ),
        ("window-0", f"--text Paris --window-chars 0 {g}", "argument --window-chars"),
        ("corpus-format", f"--text Paris --format lgl {g}", "is a corpus format"),
        ("eval-missing", f"--eval {{W}}/none.xml --format lgl {g}", "no such file"),
        ("eval-no-format", f"--eval {{good_las}} {g}", "--eval needs --format"),
        (
            "learned-missing",
            f"--text Paris --resolver learned --learned-model {{W}}/m.txt {g}",
            "no such file",
        ),
        ("recognizer", "--text Paris --recognizer magic", "invalid choice: 'magic'"),
        ("unknown-flag", "--text Paris --fast", "unrecognized arguments: --fast"),
    ]
    return [_c("geoparse", cid, a, 2, frag) for cid, a, frag in cases]


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


CASES: list[Case] = [
    *_detect(),
    *_predict(),
    *_classify(),
    *_geoparse(),
    *_report(),
    *_sweep(),
    *_run_benchmark(),
    *_fetch(),
]

#: run again as real processes: two per tool (a file problem and a flag or URL problem)
SUBPROCESS_IDS = {
    "detect-w-evil",
    "detect-in-png",
    "predict-in-trunc",
    "predict-uri-closed",
    "classify_las-in-trunc-laz",
    "classify_las-tile-0",
    "geoparse-5mb-latin1",
    "geoparse-out-exists",
    "report-csv-5mb-no-newline",
    "report-uri-pg-closed",
    "sweep-exp-syntax",
    "sweep-tracking-closed",
    "run_benchmark-uri-closed",
    "run_benchmark-out-is-file",
    "fetch_samples-unknown",
    "fetch_samples-cache-under-file",
}
