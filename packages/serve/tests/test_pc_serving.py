"""The point-cloud leaf's serving export: the served forest classifies a LAS exactly as the
fitted adapter does through ``classify_las``, keeping the input's CRS."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import laspy
import numpy as np

from geoarena.core.config import TrainConfig
from geoarena.pc.asprs import GROUND_VEGETATION_BUILDING as CMAP
from geoarena.pc.classify import TilingConfig, adapter_predictor, classify_las
from geoarena.pc.pipeline import fit_on_las
from geoarena.serve.mlflow_model import load_predictor, save_model

REPO = Path(__file__).resolve().parents[3]


def _pc_fixtures(out: Path) -> dict[str, Path]:
    """The point-cloud leaf's committed fixture generator (laspy writes the files)."""
    spec = importlib.util.spec_from_file_location(
        "pc_make_data", REPO / "packages/pc/tests/data/make_data.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.write_all(out)


def test_served_point_cloud_model_classifies_like_the_fitted_adapter(tmp_path):
    files = _pc_fixtures(tmp_path / "pc")
    adapter, data = fit_on_las(files["las"], CMAP, "random-forest", TrainConfig(epochs=1))
    exported = adapter.export(str(tmp_path))
    assert exported.card["class_names"] == list(CMAP.class_names)
    folder = save_model(exported, tmp_path / "model")
    predictor, card = load_predictor(str(folder))
    assert card["modality"] == "pc" and card["class_map"] == CMAP.name

    served = tmp_path / "served.las"
    summary = predictor.predict_file(files["las"], served)
    direct = classify_las(
        files["las"],
        tmp_path / "direct.las",
        adapter_predictor(adapter),
        CMAP,
        TilingConfig(50.0, 8.0, features=data.cfg.features),
    )
    a, src = laspy.read(served), laspy.read(files["las"])
    np.testing.assert_array_equal(np.asarray(a.classification), direct["predictions"])
    assert a.header.parse_crs().to_epsg() == 2154 and len(a.points) == len(src.points)
    truth = np.asarray(src.classification)
    assert (np.asarray(a.classification) == truth).mean() > 0.8
    assert sum(summary["class_counts"].values()) == len(src.points)
    # the pyfunc surface: a DataFrame of points with the attributes the model was trained on
    import pandas as pd

    cols = {c: np.asarray(src[c], dtype=float) for c in ("x", "y", "z")}
    cols.update({a: np.asarray(src[a]) for a in card["point_attributes"]})
    rows = predictor.predict(pd.DataFrame(cols))
    assert len(rows) == len(src.points)
    assert (rows["classification"].to_numpy() == truth).mean() > 0.8
    # tools/predict.py: LAS in, classified LAS out
    from test_model_and_registry import _predict_tool

    cli_out = tmp_path / "cli.laz"
    argv = ["--model", str(folder), "--input", str(files["las"]), "--output", str(cli_out)]
    assert _predict_tool().main([*argv, "--tile-m", "50"]) == 0
    np.testing.assert_array_equal(
        np.asarray(laspy.read(cli_out).classification), direct["predictions"]
    )
