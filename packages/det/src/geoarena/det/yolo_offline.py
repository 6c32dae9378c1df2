"""Run ultralytics with no network access at any point.

ultralytics 8.4 (a) probes the network at import and may try to pip-install missing packages,
(b) downloads ``Arial.ttf`` / ``Arial.Unicode.ttf`` into its config dir whenever it draws
labels, (c) auto-logs to MLflow (``./mlflow.db``) when mlflow is installed, and (d) downloads
``yolo26n.pt``/``yolov8n.pt`` for its AMP check on CUDA. ``ensure_offline`` fixes each *before*
ultralytics is imported:

* ``YOLO_OFFLINE=1`` — ultralytics' own offline switch (no connectivity probe, no auto-install);
* ``YOLO_CONFIG_DIR`` → a folder whose ``Ultralytics/`` holds ``Arial.ttf`` and
  ``Arial.Unicode.ttf`` — copies of matplotlib's bundled DejaVuSans.ttf — so the font check
  finds them locally;
* ultralytics' settings: every logger integration off (``mlflow=False`` among them), no hub sync,
  so only the harness logs runs;
* AMP: the adapter trains with ``amp=False`` on CPU, and on CUDA with ``amp="bf16"`` (a GPU
  with native bf16; ``amp=False`` otherwise), which skips the AMP check: that check loads
  ``yolo26n.pt`` whatever weights are trained, so it would download it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from geoarena.core.task import default_cache_dir

FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")
INTEGRATIONS_OFF = (
    "mlflow",
    "clearml",
    "comet",
    "dvc",
    "hub",
    "neptune",
    "raytune",
    "tensorboard",
    "wandb",
    "sync",
)


def seed_fonts(folder: Path) -> None:
    """Copy matplotlib's DejaVuSans.ttf as ultralytics' two expected font names into ``folder``."""
    import matplotlib

    src = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    folder.mkdir(parents=True, exist_ok=True)
    for name in FONT_NAMES:
        dst = folder / name
        if not dst.exists():
            shutil.copyfile(src, dst)


def ensure_offline(config_dir: str | Path | None = None) -> Path:
    """Prepare the environment so ``import ultralytics`` and training never reach the network.

    Returns ultralytics' user config folder (``$YOLO_CONFIG_DIR/Ultralytics``).
    """
    os.environ["YOLO_OFFLINE"] = "1"
    from geoarena.det.safe_load import enable_safe_load

    enable_safe_load()  # every checkpoint ultralytics opens (ours too) is unpickled weights_only
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    if "ultralytics" in sys.modules:
        # already imported: its config dir is fixed, seed the fonts there
        from ultralytics.utils import USER_CONFIG_DIR

        folder = Path(USER_CONFIG_DIR)
    else:
        base = Path(
            os.environ.get("YOLO_CONFIG_DIR") or config_dir or default_cache_dir() / "yolo_config"
        )
        os.environ["YOLO_CONFIG_DIR"] = str(base)
        folder = base / "Ultralytics"
    seed_fonts(folder)
    from ultralytics import settings

    wanted = {k: False for k in INTEGRATIONS_OFF if k in settings}
    if any(settings.get(k) for k in wanted):
        settings.update(wanted)
    return folder
