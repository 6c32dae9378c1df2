"""A booby-trapped checkpoint never runs: its pickle would create a marker file when unpickled
with weights_only=False (what ultralytics does by default); every entry point refuses it first."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import pytest
import torch

from geoarena.core.errors import DataError
from geoarena.det.safe_load import check_checkpoint, load_yolo

TOOL = Path(__file__).resolve().parents[3] / "tools" / "detect.py"


class _Trap:
    """Unpickling this calls ``Path.touch(marker)``: code execution without any shell."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _booby_trapped(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "PWNED"
    weights = tmp_path / "evil.pt"
    # a plausible ultralytics checkpoint dict with the trap where the model goes
    torch.save({"model": _Trap(marker), "train_args": {}, "date": "2026-01-01"}, weights)
    return weights, marker


def test_the_trap_is_real(tmp_path):
    """Control: the plain unpickler does run it, so the refusals below are meaningful."""
    weights, marker = _booby_trapped(tmp_path)
    torch.load(weights, weights_only=False)
    assert marker.exists()


def test_detect_tool_refuses_without_running_it(tmp_path, capsys):
    weights, marker = _booby_trapped(tmp_path)
    spec = importlib.util.spec_from_file_location("detect_tool", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    scene = tmp_path / "scene.tif"
    scene.write_bytes(b"")  # never reached: the weights are checked first
    rc = tool.main(["--weights", str(weights), "--input", str(scene), "--output", "x.gpkg"])
    err = capsys.readouterr().err
    assert rc == 2 and not marker.exists()
    assert err.startswith(f"error: --weights {weights}: refused: the checkpoint pickles ")
    assert "pathlib.Path" in err
    assert err.count("\n") == 1


def test_loaders_refuse_without_running_it(tmp_path):
    weights, marker = _booby_trapped(tmp_path)
    with pytest.raises(DataError, match="refused"):
        load_yolo(weights)
    with pytest.raises(DataError, match="refused"):
        check_checkpoint(weights)
    from geoarena.det.slicer import SlicedDetector

    with pytest.raises(DataError, match="refused"):
        SlicedDetector(weights)
    assert not marker.exists()


def test_ultralytics_itself_runs_restricted_after_our_setup(tmp_path):
    """Second layer: even past our scan, ultralytics now unpickles weights_only."""
    weights, marker = _booby_trapped(tmp_path)
    from geoarena.det.yolo_offline import ensure_offline

    ensure_offline(tmp_path / "cfg")
    from ultralytics import YOLO

    with pytest.raises((TypeError, pickle.UnpicklingError)):
        YOLO(str(weights))
    assert not marker.exists()


def test_a_real_checkpoint_loads(tmp_path):
    from ultralytics import YOLO

    YOLO("yolov8n.yaml").save(str(tmp_path / "y.pt"))
    model = load_yolo(tmp_path / "y.pt")
    assert model.task == "detect" and len(model.names) == 80
