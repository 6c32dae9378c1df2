"""Loading ultralytics checkpoints without running code pickled inside them.

ultralytics unpickles ``.pt`` files with ``weights_only=False`` unless ``ULTRALYTICS_SAFE_LOAD``
is set, so a crafted checkpoint executes arbitrary code the moment it is opened. Every YOLO
checkpoint in this package is opened through :func:`load_yolo`: the pickle's globals are listed
without executing anything (``torch.serialization.get_unsafe_globals_in_checkpoint``), a global
outside torch/ultralytics is refused, and the load itself runs in ultralytics' restricted mode
(``weights_only=True`` plus its allow-list of model classes).
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path
from typing import Any

from geoarena.core.inputs import bad_input, check_input_file

#: modules whose classes a YOLO checkpoint may name (ultralytics' allow-list checks each class)
TRUSTED_MODULES = (
    "torch.nn.modules.",
    "ultralytics.nn.",
    "ultralytics.utils.",
    "collections.OrderedDict",
)


def enable_safe_load() -> None:
    """Turn on ultralytics' restricted loading for this process (also when it is imported)."""
    os.environ["ULTRALYTICS_SAFE_LOAD"] = "1"
    for name in ("ultralytics.utils", "ultralytics.nn.tasks"):
        mod = sys.modules.get(name)
        if mod is not None and hasattr(mod, "SAFE_LOAD"):
            mod.SAFE_LOAD = True  # read at call time by torch_safe_load


def check_checkpoint(path: str | Path, what: str = "--weights") -> Path:
    """``path`` is a torch zip checkpoint whose pickle names only torch/ultralytics globals.

    Nothing in the file is executed: the pickle opcodes are scanned, not run."""
    import torch

    p = check_input_file(path, what, min_bytes=22)
    if not zipfile.is_zipfile(p):
        raise bad_input(what, "not a PyTorch checkpoint (expected a torch.save zip archive)", p)
    if not hasattr(torch.serialization, "get_unsafe_globals_in_checkpoint"):
        raise bad_input(what, "safe loading needs torch >= 2.6; refusing to unpickle", p)
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(str(p))
    except Exception as exc:  # a damaged archive or pickle stream
        raise bad_input(what, f"unreadable checkpoint ({' '.join(str(exc).split())})", p) from None
    foreign = sorted(n for n in names if not n.startswith(TRUSTED_MODULES))
    if foreign:
        raise bad_input(
            what,
            f"refused: the checkpoint pickles {', '.join(foreign[:4])}, which would run code "
            "outside torch/ultralytics when loaded (nothing was executed)",
            p,
        )
    return p


def load_yolo(path: str | Path, task: str | None = None, what: str = "--weights") -> Any:
    """``ultralytics.YOLO`` from a local checkpoint, checked and loaded in restricted mode."""
    p = check_checkpoint(path, what)
    enable_safe_load()
    from ultralytics import YOLO

    enable_safe_load()  # the import above may have read the environment before us
    try:
        return YOLO(str(p), task=task) if task else YOLO(str(p))
    except Exception as exc:  # ultralytics raises TypeError/RuntimeError/KeyError for bad files
        raise bad_input(
            what, f"not a loadable ultralytics checkpoint ({' '.join(str(exc).split())})", p
        ) from None
