"""Point-cloud models are exported without pickle and read back exactly; booby-trapped model
files — each would create a marker file if its loader ran the code inside — are refused with one
line naming the file."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from geoarena.core.errors import DataError
from geoarena.pc.asprs import GROUND_VEGETATION_BUILDING as CMAP
from geoarena.pc.features import FeatureConfig
from geoarena.pc.models.adapter import PointNetAdapter, build_network
from geoarena.pc.models.forest import RandomForestAdapter
from geoarena.pc.persist import load_adapter, save_adapter

CTX = {
    "class_map": CMAP,
    "features": FeatureConfig(knn_scales=(8, 16)),
    "crs": "EPSG:2154",
    "attributes": ("intensity",),
}


class PickleTrap:
    """Unpickling calls ``Path.touch(marker)``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


class SkopsTrap:
    """skops rebuilds objects through ``__setstate__``: trusting this type touches the marker."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __setstate__(self, state):
        Path(state["marker"]).touch()


def _forest() -> RandomForestAdapter:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6))
    y = np.where(x[:, 0] > 0.5, 2, np.where(x[:, 1] > 0, 0, 1))
    adapter = RandomForestAdapter(n_estimators=5)
    adapter.num_classes = 3
    adapter.forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
    return adapter


def _network() -> PointNetAdapter:
    torch.manual_seed(0)
    adapter = PointNetAdapter(arch="randla", widths=(8, 16, 16, 16), k=8, crop_points=256)
    adapter.num_classes, adapter.in_features = 3, 6
    adapter.mean, adapter.std = torch.zeros(6), torch.ones(6)
    adapter.model = build_network(adapter.cfg, 6, 3)
    return adapter


def test_forest_and_network_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    pts, feats = rng.uniform(0, 20, (300, 3)), rng.normal(size=(300, 6))
    for adapter in (_forest(), _network()):
        out = tmp_path / type(adapter).__name__
        out.mkdir()
        files = save_adapter(adapter, CTX, out)
        loaded, ctx = load_adapter(files)
        assert ctx["class_map"] == CMAP and ctx["features"] == CTX["features"]
        if isinstance(adapter, RandomForestAdapter):
            want, got = adapter.predict_proba_features(feats), loaded.predict_proba_features(feats)
        else:
            want, got = adapter.predict_proba(pts, feats), loaded.predict_proba(pts, feats)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _refused(files: dict[str, str], path: Path, marker: Path, fragment: str) -> None:
    with pytest.raises(DataError) as err:
        load_adapter(files)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and fragment in msg, msg
    assert not marker.exists()


def test_booby_trapped_model_files_are_refused(tmp_path):
    import skops.io

    marker = tmp_path / "PWNED"
    (tmp_path / "f").mkdir()
    forest = save_adapter(_forest(), CTX, tmp_path / "f")
    # a folder from before the safe formats: pc_model.joblib, no settings
    old = tmp_path / "pc_model.joblib"
    old.write_bytes(pickle.dumps(PickleTrap(marker)))
    _refused({"model": str(old)}, old, marker, "a pickled model, not loaded")
    # a forest file naming a type outside the trust list
    skops.io.dump(SkopsTrap(marker), forest["model"])
    _refused(forest, Path(forest["model"]), marker, "untrusted types")
    # a pickle dressed as a skops file
    Path(forest["model"]).write_bytes(pickle.dumps(PickleTrap(marker)))
    _refused(forest, Path(forest["model"]), marker, "not a skops model file")
    # network weights whose pickle calls a function: weights_only refuses the global
    out = tmp_path / "n"
    out.mkdir()
    network = save_adapter(_network(), CTX, out)
    torch.save({"w": PickleTrap(marker)}, network["model"])
    _refused(network, Path(network["model"]), marker, "not loadable as network weights")
    # the controls: each trap is live when loaded the unsafe way
    skops_file = tmp_path / "trap.skops"
    skops.io.dump(SkopsTrap(marker), skops_file)
    skops.io.load(skops_file, trusted=[f"{__name__}.SkopsTrap"])
    assert marker.exists()
    marker.unlink()
    torch.load(network["model"], weights_only=False)
    assert marker.exists()
