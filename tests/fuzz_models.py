"""Booby-trapped served models for the fuzz suite: MLflow model folders (as ``save_model``
writes them) whose model file would create the marker ``PWNED`` beside the fuzz inputs if its
loader ran the code inside — a joblib pickle of the format before safe loading, a skops archive
naming an untrusted type, network weights pickling a callable."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

EO_LOADER = "geoarena.eo.baselines.serving:load_classical_predictor"
PC_LOADER = "geoarena.pc.serving:load_pc_predictor"


class PickleTrap:
    """Unpickling calls ``Path.touch(marker)``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


class SkopsTrap:
    """skops rebuilds objects through ``__setstate__``: a loader trusting this type touches
    the marker."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __setstate__(self, state):
        Path(state["marker"]).touch()


def _save(folder: Path, loader: str, files: dict[str, Path], card: dict) -> Path:
    from geoarena.core.model import ExportedModel
    from geoarena.serve.mlflow_model import save_model

    exported = ExportedModel(loader, {k: str(v) for k, v in files.items()}, card, None)
    return save_model(exported, folder)


def _eo_card() -> dict:
    return {
        "modality": "eo",
        "task": "fuzz/rgb",
        "task_kind": "seg",
        "class_names": ["background", "building"],
        "num_classes": 2,
        "data_bands": ["red", "green", "blue"],
        "mean": [100.0, 100.0, 100.0],
        "std": [50.0, 50.0, 50.0],
        "chip_size": 32,
    }


def _eo_settings(path: Path) -> Path:
    from dataclasses import asdict

    from geoarena.eo.baselines.adapter import ClassicalConfig

    settings = {
        "cfg": asdict(ClassicalConfig(estimator="rf", features="pixels")),
        "classes_": [0, 1],
        "num_classes": 2,
        "band_names": ["red", "green", "blue"],
        "mean": [100.0, 100.0, 100.0],
        "std": [50.0, 50.0, 50.0],
    }
    path.write_text(json.dumps(settings))
    return path


def write_models(out: Path, marker: Path) -> dict[str, Path]:
    """The trapped model folders in ``out`` (name → folder); nothing here loads them."""
    import skops.io
    import torch

    from geoarena.pc.asprs import GROUND_VEGETATION_BUILDING
    from geoarena.pc.features import FeatureConfig
    from geoarena.pc.models.adapter import PointNetAdapter, build_network
    from geoarena.pc.persist import save_adapter

    src = out / "model_files"
    src.mkdir(parents=True, exist_ok=True)
    f: dict[str, Path] = {}
    joblib_file = src / "estimator.joblib"
    joblib_file.write_bytes(pickle.dumps(PickleTrap(marker)))
    f["trap_joblib_model"] = _save(
        out / "rf_joblib_model", EO_LOADER, {"estimator": joblib_file}, _eo_card()
    )
    skops_file = src / "estimator.skops"
    skops.io.dump(SkopsTrap(marker), skops_file)
    files = {"estimator": skops_file, "settings": _eo_settings(src / "classical_settings.json")}
    f["trap_skops_model"] = _save(out / "rf_skops_model", EO_LOADER, files, _eo_card())

    pc_card = {"modality": "pc", "task_kind": "pc_seg", "class_names": ["ground"], "num_classes": 3}
    pc_old = src / "pc_model.joblib"
    pc_old.write_bytes(pickle.dumps(PickleTrap(marker)))
    f["trap_pc_joblib_model"] = _save(
        out / "pc_joblib_model", PC_LOADER, {"model": pc_old}, pc_card
    )
    adapter = PointNetAdapter(widths=(8, 8, 8, 8), k=4)
    adapter.num_classes, adapter.in_features = 3, 4
    adapter.mean, adapter.std = torch.zeros(4), torch.ones(4)
    adapter.model = build_network(adapter.cfg, 4, 3)
    ctx = {"class_map": GROUND_VEGETATION_BUILDING, "features": FeatureConfig(), "crs": ""}
    pc_dir = src / "pc_network"
    pc_dir.mkdir(exist_ok=True)
    files = save_adapter(adapter, ctx, pc_dir)
    torch.save({"w": PickleTrap(marker)}, files["model"])  # weights that pickle a callable
    f["trap_pc_weights_model"] = _save(out / "pc_weights_model", PC_LOADER, files, pc_card)
    return f
