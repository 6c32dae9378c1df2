"""TerraTorch's environment for benchmarks/vs_terratorch.py, and the one terratorch-iterate trial.

Python 3.11 cannot install TerraTorch with its dependencies, so ``make_env`` builds a venv that
reuses this environment's packages (torch, timm, torchgeo, lightning) through a ``.pth`` file and
adds ``terratorch==1.2.13`` and ``terratorch-iterate==0.4`` with ``--no-deps`` plus their missing
dependencies from the package index; ``tt_env_python`` finds (or builds) its interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _harness import child_env
from _vs_terratorch_children import DATASET, N_CLASSES

TT_PACKAGES = ["terratorch==1.2.13", "terratorch-iterate==0.4"]
# what terratorch/terratorch-iterate import that the GeoArena environment does not provide
TT_EXTRA_DEPS = [
    "albumentations",
    "albucore",
    "diffusers",
    "python-box",
    "rioxarray",
    "scikit-image",
    "tensorboard",
    "tifffile",
    "configspace",
    "gputil",
    "seaborn",
    "tabulate",
    "ray[tune]",
    "optuna-integration",
]


ITERATE_CONFIG = """\
experiment_name: vs_terratorch_iterate
storage_uri: {root}/mlruns
n_trials: 1
run_repetitions: 0
save_models: false
optimization_space:
  lr: {{min: 0.0001, max: 0.001, type: real, log: true}}
defaults:
  trainer_args:
    max_epochs: {epochs}
    accelerator: cpu
    devices: 1
    enable_checkpointing: false
    enable_progress_bar: false
  terratorch_task:
    model_factory: EncoderDecoderFactory
    model_args:
      backbone: timm_resnet18
      backbone_pretrained: false
      backbone_in_chans: 4
      decoder: UperNetDecoder
      decoder_channels: 64
      necks: [{{name: SelectIndices, indices: [1, 2, 3, 4]}}]
      num_classes: {classes}
    loss: ce
    ignore_index: -1
    optimizer: AdamW
    plot_on_val: false
tasks:
  - name: {dataset}
    type: segmentation
    direction: max
    metric: val/mIoU
    datamodule:
      class_path: terratorch.datamodules.MChesapeakeLandcoverNonGeoDataModule
      init_args:
        batch_size: {batch}
        num_workers: 0
        data_root: {data}
"""


def run_iterate(python: Path, args, threads: int) -> None:
    """One terratorch-iterate HPO trial (``iterate-classic --config … --hpo``, 1 trial over the
    learning rate) on the same fixture; timed once, for the record. Its datamodule is TerraTorch's
    ``MChesapeakeLandcoverNonGeoDataModule`` with its built-in normalisation statistics (those of
    the real dataset, not of the fixture), as a config file names it."""
    root = Path(args.data) / "iterate"
    root.mkdir()
    cfg = root / "config.yaml"
    cfg.write_text(
        ITERATE_CONFIG.format(
            root=root,
            epochs=args.epochs,
            classes=N_CLASSES,
            dataset=DATASET,
            batch=args.batch,
            data=Path(args.data) / "segmentation_v1.0",
        )
    )
    code = (
        "import sys; sys.modules['mmseg'] = None; "
        f"sys.argv = ['iterate-classic', '--config', {str(cfg)!r}, '--hpo']; "
        "from terratorch_iterate.main import main; main()"
    )
    env = {**child_env(threads), "MLFLOW_ALLOW_FILE_STORE": "true", "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    res = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, env=env, cwd=root
    )
    wall = time.perf_counter() - t0
    found = [
        ln for ln in res.stderr.splitlines() + res.stdout.splitlines() if "Trial 0 finished" in ln
    ]
    print(
        f"terratorch-iterate: 1 HPO trial ({args.epochs} epochs) exit {res.returncode}, "
        f"{wall:.1f} s wall from interpreter start, {threads} thread(s): "
        + (found[-1].split("] ", 1)[-1] if found else f"no finished trial\n{res.stderr[-2000:]}")
    )


def tt_env_python(args) -> Path:
    """TerraTorch's interpreter: ``--tt-python``, or the venv at ``--tt-env`` (built with
    ``--make-env``); exits with what is missing otherwise."""
    if args.tt_python:
        py = Path(args.tt_python)
    else:
        py = args.tt_env / "bin" / "python"
        if args.make_env and not py.exists():
            make_env(args.tt_env)
    if not py.exists():
        sys.exit(
            f"TerraTorch's Python not found at {py}: run with --make-env (builds a venv there "
            f"with {' '.join(TT_PACKAGES)} --no-deps plus {', '.join(TT_EXTRA_DEPS)}), or pass "
            "--tt-python PATH to an interpreter that imports terratorch 1.2.13"
        )
    probe = subprocess.run(
        [str(py), "-c", "import sys; sys.modules['mmseg'] = None; import terratorch"],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        sys.exit(f"{py} cannot import terratorch:\n{probe.stderr[-1500:]}")
    return py


def make_env(env: Path) -> None:
    """Build TerraTorch's venv at ``env`` over this environment's packages (see module doc)."""
    import site
    import venv

    print(f"building TerraTorch's environment at {env} (a few minutes)", flush=True)
    venv.create(env, with_pip=True)
    py = env / "bin" / "python"
    sp = subprocess.run(
        [str(py), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # reuse torch/timm/torchgeo/lightning of this environment: the same kernels on both sides
    (Path(sp) / "geoarena_base.pth").write_text(site.getsitepackages()[0] + "\n")
    pip = [str(py), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", *TT_PACKAGES], check=True)
    subprocess.run([*pip, *TT_EXTRA_DEPS], check=True)
