"""Writing and reading fitted classical estimators in formats whose loading runs no code.

A pickle (``joblib``) file names the callables that rebuild its objects, so loading one runs
whatever its author chose. A served model comes from a tracking store or a folder someone hands
over, so GeoArena writes instead:

* LightGBM: the booster's own text model format (parsed by LightGBM's C++ reader, no Python);
* scikit-learn random forests: ``skops.io``, which rebuilds only types on a trust list (its
  defaults — builtins, numpy, scikit-learn estimators — plus :data:`TRUSTED_SKOPS_TYPES`) and
  refuses any other type named in the file before constructing anything.

Model folders written before this change hold ``*.joblib`` files; they are refused with a line
asking to re-export, never unpickled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.inputs import bad_input, check_input_file, load_skops, one_line

#: types beyond skops' defaults that a fitted RandomForestClassifier needs (its trees' arrays)
TRUSTED_SKOPS_TYPES = ("sklearn.tree._tree.Tree",)
SKOPS_SUFFIX = ".skops"
LGBM_SUFFIX = ".lgbm.txt"
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


class BoosterClassifier:
    """A LightGBM ``Booster`` read from its text format, answering ``predict_proba`` like the
    ``LGBMClassifier`` that wrote it (columns = the classes seen in training, in order)."""

    def __init__(self, booster: Any):
        self.booster = booster

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.asarray(self.booster.predict(x))
        # a binary objective yields P(second class) only; LGBMClassifier stacks 1 - p beside it
        return np.stack([1.0 - p, p], axis=1) if p.ndim == 1 else p


def save_estimator(estimator: Any, out_dir: Path, stem: str = "estimator") -> Path:
    """Write a fitted ``LGBMClassifier`` (text model) or scikit-learn estimator (skops)."""
    if hasattr(estimator, "booster_"):
        path = out_dir / f"{stem}{LGBM_SUFFIX}"
        estimator.booster_.save_model(str(path))
        return path
    import skops.io

    path = out_dir / f"{stem}{SKOPS_SUFFIX}"
    skops.io.dump(estimator, path)
    return path


def load_estimator(path: str | Path, what: str = "model file") -> Any:
    """The estimator in ``path`` (refused with one line naming the file when it is a pickle, of
    an untrusted type, or unreadable)."""
    p = check_input_file(path, what)
    name = p.name.lower()
    if name.endswith(PICKLE_SUFFIXES):
        raise bad_input(
            what,
            "a pickled model, not loaded (unpickling runs any code inside the file); "
            "re-export the model with this GeoArena version",
            p,
        )
    if name.endswith(LGBM_SUFFIX):
        import lightgbm

        try:
            return BoosterClassifier(lightgbm.Booster(model_str=p.read_text(encoding="utf-8")))
        except Exception as exc:  # LightGBMError, UnicodeDecodeError: not a text model
            raise bad_input(what, f"not a LightGBM text model ({one_line(exc)})", p) from None
    if name.endswith(SKOPS_SUFFIX):
        return load_skops(p, what, TRUSTED_SKOPS_TYPES)
    raise bad_input(what, f"unknown model format (expected {SKOPS_SUFFIX} or {LGBM_SUFFIX})", p)
