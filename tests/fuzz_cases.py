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
        ("in-laz-mid-corrupt", f"{i} {{mid_corrupt_laz}}", "corrupt point data in points"),
        # every numeric flag out of range: one line, exit 2, before the model is fetched
        ("window-huge", f"{ok} --window 9000", "argument --window: 9000 is outside [8, 8192]"),
        ("stride-0", f"{ok} --stride 0", "argument --stride: 0 is outside"),
        ("stride-gt-window", f"{ok} --window 64 --stride 100", "--stride 100 is larger than"),
        ("batch-0", f"{ok} --batch 0", "argument --batch: 0 is outside"),
        ("scales-inf", f"{ok} --scales 1 inf", "argument --scales: 'inf' is not a finite"),
        ("slice-small", f"{ok} --slice 16", "argument --slice: 16 is outside"),
        ("overlap-high", f"{ok} --overlap 0.95", "argument --overlap: 0.95 is outside"),
        ("conf-neg", f"{ok} --conf -0.1", "argument --conf: -0.1 is outside"),
        ("tile-0", f"{ok} --tile-m 0", "argument --tile-m: 0.0 is outside"),
        ("halo-neg", f"{ok} --halo-m -1", "argument --halo-m: -1.0 is outside"),
        ("vectorize-neg", f"{ok} --vectorize 1 -1", "argument --vectorize: -1 is outside"),
        ("vectorize-text", f"{ok} --vectorize road", "'road' is not an integer"),
        ("device-name", f"{ok} --device gpu", "argument --device: 'gpu' is not cpu, cuda"),
        ("device-index", f"{ok} --device cuda:99", "--device cuda:99: "),
    ]
    # served models whose files would run code if unpickled: refused, the marker never made
    traps = [
        ("model-trap-joblib", "trap_joblib_model", "good_tif", "tif", "a pickled model, not"),
        ("model-trap-skops", "trap_skops_model", "good_tif", "tif", "names untrusted types"),
        ("model-trap-pc-joblib", "trap_pc_joblib_model", "good_las", "las", "a pickled model"),
        ("model-trap-pc-weights", "trap_pc_weights_model", "good_las", "las", "weights pickle"),
    ]
    for cid, model, src, ext, frag in traps:
        cases.append((cid, f"--model {{{model}}} --input {{{src}}} --output {{W}}/o.{ext}", frag))
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
        ("in-mid-laz", f"{{mid_corrupt_laz}} {i}", "mid.laz: corrupt point data in points"),
        ("in-tiny", f"{{tiny_las}} {i}", "unreadable LAS header"),
        ("in-csv", f"{{csv_las}} {i}", "not a LAS/LAZ file"),
        ("in-tif", f"{{tif_las}} {i}", "not a LAS/LAZ file"),
        ("in-5mb-text", f"{{big_text}} {i}", "not a LAS/LAZ file"),
        ("train-trunc", "{good_las} {W}/out.las --train {trunc_laz}", "--train"),
        ("train-zero", "{good_las} {W}/out.las --train {zero_las}", "holds 0 points"),
        ("train-mid-laz", "{good_las} {W}/o.las --train {mid_corrupt_laz}", "mid.laz: corrupt"),
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


FILE_CASES: list[Case] = [*_detect(), *_predict(), *_classify(), *_geoparse()]


def all_cases() -> list[Case]:
    """Every case: the file-reading tools here, the store/service tools in fuzz_cases_services."""
    from fuzz_cases_services import SERVICE_CASES

    return [*FILE_CASES, *SERVICE_CASES]


#: run again as real processes: two per tool (a file problem and a flag or URL problem)
SUBPROCESS_IDS = {
    "detect-w-evil",
    "detect-in-png",
    "predict-in-trunc",
    "predict-uri-closed",
    "classify_las-in-trunc-laz",
    "classify_las-tile-0",
    "classify_las-in-mid-laz",
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
