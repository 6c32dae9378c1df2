"""tools/classify_las.py end to end on the generated scene, and its error path."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import laspy
import numpy as np

TOOL = Path(__file__).resolve().parents[3] / "tools" / "classify_las.py"


def _tool():
    spec = importlib.util.spec_from_file_location("classify_las_tool", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_trains_classifies_and_writes(fixtures, tmp_path, capsys):
    out = tmp_path / "out.laz"
    rc = _tool().main(
        [
            str(fixtures["laz"]),
            str(out),
            "--train",
            str(fixtures["las"]),
            "--tile-m",
            "15",
            "--halo-m",
            "5",
        ]
    )
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["points"] == 1920 and report["tiles"] >= 4
    a, b = laspy.read(fixtures["laz"]), laspy.read(out)
    assert len(b.points) == len(a.points) and b.header.parse_crs().to_epsg() == 2154
    truth = np.isin(a.classification, [3, 4, 5]), a.classification == 2
    assert (np.isin(b.classification, [3, 4, 5]) == truth[0]).mean() > 0.9
    assert (np.asarray(b.classification == 2) == truth[1]).mean() > 0.9


def test_cli_reports_bad_input_by_name(fixtures, tmp_path, capsys):
    rc = _tool().main(
        [str(fixtures["empty"]), str(tmp_path / "o.las"), "--train", str(fixtures["las"])]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert err == f"error: input {fixtures['empty']}: holds 0 points, at least 1 needed\n"
