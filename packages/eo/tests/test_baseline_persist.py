"""Classical EO baselines are exported and served without pickle: LightGBM's text model and
skops for scikit-learn round-trip exactly, and booby-trapped files — each of which would create a
marker file if its loader ran the code inside — are refused with one line naming the file."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from geoarena.core.errors import DataError
from geoarena.eo.baselines.persist import load_estimator, save_estimator
from geoarena.eo.baselines.serving import read_state
from geoarena.eo.models.export import EOPredictor


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


def _data(classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = np.digitize(x[:, 0] + 0.3 * x[:, 1], np.linspace(-1, 1, classes - 1))
    return x, y


@pytest.mark.parametrize("kind,classes", [("rf", 3), ("lgbm", 2), ("lgbm", 3)])
def test_estimators_round_trip_without_pickle(tmp_path, kind, classes):
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import RandomForestClassifier

    x, y = _data(classes)
    est = (
        RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)
        if kind == "rf"
        else LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1, random_state=0)
    ).fit(x, y)
    path = save_estimator(est, tmp_path)
    assert path.name == ("estimator.skops" if kind == "rf" else "estimator.lgbm.txt")
    assert b"\x80" not in path.read_bytes()[:2]  # not a pickle stream
    loaded = load_estimator(path)
    np.testing.assert_allclose(loaded.predict_proba(x), est.predict_proba(x), rtol=1e-6)


def _one_line_refusal(load, path: Path, marker: Path, fragment: str) -> None:
    with pytest.raises(DataError) as err:
        load()
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and fragment in msg, msg
    assert not marker.exists()


def test_pickled_estimator_is_refused_not_unpickled(tmp_path):
    marker = tmp_path / "PWNED"
    path = tmp_path / "estimator.joblib"
    path.write_bytes(pickle.dumps(PickleTrap(marker)))
    _one_line_refusal(lambda: load_estimator(path), path, marker, "a pickled model, not loaded")
    # a model folder from before the safe formats: only the joblib file, no settings
    files = {"estimator": str(path)}
    _one_line_refusal(lambda: read_state(files), path, marker, "a pickled model")
    pickle.loads(path.read_bytes())  # the control: unpickling does run the trap
    assert marker.exists()


def test_skops_file_with_an_untrusted_type_is_refused(tmp_path):
    import skops.io

    marker = tmp_path / "PWNED"
    path = tmp_path / "estimator.skops"
    skops.io.dump(SkopsTrap(marker), path)
    _one_line_refusal(lambda: load_estimator(path), path, marker, "untrusted types")
    skops.io.load(path, trusted=[f"{__name__}.SkopsTrap"])  # the control: trusted, it runs
    assert marker.exists()


@pytest.mark.parametrize("name", ["estimator.skops", "estimator.lgbm.txt"])
def test_a_pickle_renamed_to_a_safe_suffix_is_not_unpickled(tmp_path, name):
    marker = tmp_path / "PWNED"
    path = tmp_path / name
    path.write_bytes(pickle.dumps(PickleTrap(marker)))
    fragment = "not a skops model file" if name.endswith("skops") else "not a LightGBM text model"
    _one_line_refusal(lambda: load_estimator(path), path, marker, fragment)


def test_booby_trapped_torchscript_is_refused(tmp_path):
    """A real TorchScript archive whose data.pkl was swapped for a trap: TorchScript's own
    unpickler knows no Python globals, so nothing runs."""
    marker = tmp_path / "PWNED"
    good = tmp_path / "good.pt"
    torch.jit.save(torch.jit.trace(torch.nn.Linear(2, 2), torch.zeros(1, 2)), str(good))
    evil = tmp_path / "model.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(
                name, pickle.dumps(PickleTrap(marker), 2) if name.endswith("/data.pkl") else data
            )
    card = {"mean": [0.0, 0.0], "std": [1.0, 1.0], "task_kind": "cls"}
    load = lambda: EOPredictor({"torchscript": str(evil)}, card)  # noqa: E731
    _one_line_refusal(load, evil, marker, "not loadable")
    assert EOPredictor({"torchscript": str(good)}, card).net is not None
