"""tools/predict.py hands the predictors a torch device: ``--device auto`` is resolved first."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "predict.py"


def _tool():
    spec = importlib.util.spec_from_file_location("predict_tool", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_device_auto_is_resolved_before_the_predictor_sees_it(monkeypatch):
    import torch

    tool = _tool()
    argv = ["--model", "runs:/x/model", "--input", "in.tif", "--output", "out.tif"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    args = tool.build_parser().parse_args([*argv, "--device", "auto"])
    tool.check_flags(args)
    assert args.device == "cpu"  # EO: model.to("auto") / torch.device("auto") raised
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    args = tool.build_parser().parse_args([*argv, "--device", "auto"])
    tool.check_flags(args)
    assert args.device == "cuda"
    args = tool.build_parser().parse_args(argv)
    tool.check_flags(args)
    assert args.device is None  # not given: the predictor's own default
