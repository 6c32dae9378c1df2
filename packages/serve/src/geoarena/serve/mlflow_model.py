"""Trained cells as MLflow Models: one pyfunc flavour for every modality.

A leaf's ``ModelAdapter.export`` writes its files and names a *loader* (``module:function``
in that leaf). ``GeoArenaModel`` is the pyfunc ``PythonModel`` that, on load, imports the loader
and hands it the files and the ModelCard; the loader returns a *predictor* with
``predict(inputs)``. Loading therefore needs only the model URI and the installed packages, and
the same model answers ``mlflow.pyfunc.load_model``, ``mlflow models serve`` and
``tools/predict.py``.

The model folder holds ``card.json`` (the ModelCard: bands, units, normalisation, classes,
expected GSD, task, loader) as an artifact and as MLmodel metadata, a signature and an input
example, and the leaf's files (TorchScript, ONNX, tables).
"""

from __future__ import annotations

import importlib
import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import mlflow.pyfunc

from geoarena.core.errors import ConfigError
from geoarena.core.model import ExportedModel
from geoarena.core.tracking import Tracker

#: artifact path of the model inside a cell's run (``runs:/<run_id>/model``)
MODEL_ARTIFACT = "model"
CARD_FILE = "card.json"


def import_loader(spec: str) -> Any:
    """``"package.module:function"`` → the function (clear error when not installed)."""
    module, _, func = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"model loader {spec!r} is not importable ({exc}); install the package that trained it"
        ) from exc


# ``predict`` stays untyped on purpose: MLflow would read type hints as a schema, while each
# modality's input (arrays, scenes, texts) is described by the model's signature instead. MLflow
# warns about the missing hints when the class is created — on every import, in every tool's
# stderr — so that one warning is dropped here, for this class only. (A warnings filter cannot
# do it: MLflow sets its own filters around the check, so the drop happens at display time.)
_show = warnings.showwarning


def _show_except_type_hint_advice(message, category, filename, lineno, file=None, line=None):
    if "Add type hints to the `predict` method" not in str(message):
        _show(message, category, filename, lineno, file, line)


warnings.showwarning = _show_except_type_hint_advice
try:

    class GeoArenaModel(mlflow.pyfunc.PythonModel):
        """pyfunc wrapper: the predictor built by the leaf's loader answers ``predict``."""

        def load_context(self, context: Any) -> None:
            files = dict(context.artifacts)
            self.card = json.loads(Path(files.pop("card")).read_text())
            self.predictor = import_loader(self.card["loader"])(files, self.card)

        def predict(self, context, model_input, params=None):
            return self.predictor.predict(model_input)
finally:
    warnings.showwarning = _show


def save_model(exported: ExportedModel, path: str | Path) -> Path:
    """Write ``exported`` as an MLflow Model folder at ``path`` (pyfunc flavour)."""
    from mlflow.models import infer_signature

    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        card = {**exported.card, "loader": exported.loader}
        card_path = Path(tmp) / CARD_FILE
        card_path.write_text(json.dumps(card, indent=2, default=str))
        artifacts = {"card": str(card_path), **exported.files}
        example = exported.input_example
        signature = None
        if example is not None:
            predictor = import_loader(exported.loader)(dict(exported.files), card)
            signature = infer_signature(example, predictor.predict(example))
        mlflow.pyfunc.save_model(
            str(path),
            python_model=str(Path(__file__).with_name("pyfunc_model.py")),
            artifacts=artifacts,
            signature=signature,
            input_example=example,
            metadata={"geoarena_card": card},
            pip_requirements=_requirements(card),
        )
    return path


def _requirements(card: dict[str, Any]) -> list[str]:
    """The distributions the model needs, at the versions installed now (no inference run)."""
    from importlib.metadata import PackageNotFoundError, version

    names = ["mlflow", "geoarena-core", "geoarena-serve", f"geoarena-{card.get('modality', '')}"]
    names += list(card.get("requirements", ()))
    out = []
    for n in dict.fromkeys(names):
        try:
            out.append(f"{n}=={version(n)}")
        except PackageNotFoundError:
            continue
    return out


def log_model(tracker: Tracker, run_id: str, exported: ExportedModel) -> None:
    """``MODEL_LOGGERS`` entry: save the MLflow Model and log it under the cell's run as
    ``model/`` (``runs:/<run_id>/model``); the card's figures become tags."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_model(exported, Path(tmp) / MODEL_ARTIFACT)
        client = getattr(tracker, "client", None)
        if client is not None:
            client.log_artifacts(run_id, str(folder), MODEL_ARTIFACT)
        else:  # in-memory trackers keep the file list
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    rel = f.relative_to(folder).parent
                    tracker.log_artifact(run_id, f, f"{MODEL_ARTIFACT}/{rel}".rstrip("/."))
    tags = {"model_uri": f"runs:/{run_id}/{MODEL_ARTIFACT}", "model_loader": exported.loader}
    # the ONNX parity figures of every leaf (EO: logits, det: raw head and detections) and why
    # there is no ONNX file when the export failed
    for key, value in exported.card.items():
        if (
            key.startswith("onnx_")
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            tags[key] = f"{value:.3g}"
        elif key == "onnx_error":
            tags[key] = str(value)[:250]
    tracker.set_tags(run_id, tags)


def load_predictor(model_uri: str) -> tuple[Any, dict[str, Any]]:
    """Load ``models:/NAME@ALIAS`` or ``runs:/ID/model`` (or a folder) → (predictor, card)."""
    model = mlflow.pyfunc.load_model(model_uri)
    wrapped = model.unwrap_python_model()
    if not isinstance(wrapped, GeoArenaModel):
        raise ConfigError(f"{model_uri} is not a GeoArena model (no geoarena_card)")
    return wrapped.predictor, wrapped.card


def copy_model(model_uri: str, dst: str | Path) -> Path:
    """Download a model folder (for ``mlflow models serve -m <folder>`` without a store)."""
    local = mlflow.artifacts.download_artifacts(model_uri)
    dst = Path(dst)
    shutil.copytree(local, dst, dirs_exist_ok=True)
    return dst
