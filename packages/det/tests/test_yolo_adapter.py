"""The ultralytics adapter: offline setup, model naming, and a tiny end-to-end train/predict."""

from __future__ import annotations

import os

import numpy as np
import pytest

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.task import Task
from geoarena.det.chips import Chip
from geoarena.det.coco_metric import DetectionMetric
from geoarena.det.data_obb_synthetic import render_vehicles
from geoarena.det.datamodule import ChipDataModule
from geoarena.det.info import DetectionInfo
from geoarena.det.yolo_adapter import YoloAdapter

FINETUNE = STANDARD_PROTOCOLS[0]


def test_ensure_offline_seeds_fonts_and_turns_integrations_off(tmp_path):
    from geoarena.det.yolo_offline import ensure_offline

    folder = ensure_offline(tmp_path / "cfg")
    assert os.environ["YOLO_OFFLINE"] == "1"
    assert (folder / "Arial.ttf").stat().st_size > 100_000 and (
        folder / "Arial.Unicode.ttf"
    ).exists()
    from ultralytics import settings

    assert settings["mlflow"] is False and settings["sync"] is False


def test_yaml_names_and_bad_options(tmp_path):
    a = YoloAdapter(arch="yolov8-p2", size="s")
    assert a.yaml_name() == "yolov8s-p2.yaml"
    a.obb = True
    assert YoloAdapter(arch="yolo11").yaml_name() == "yolo11n.yaml"
    assert a.yaml_name() == "yolov8s-p2-obb.yaml"
    with pytest.raises(ConfigError, match="unknown YOLO option"):
        YoloAdapter(colour="red")
    with pytest.raises(ConfigError, match=r"weights file .*missing\.pt.*never downloaded"):
        YoloAdapter(weights=str(tmp_path / "missing.pt"))


def test_device_strings_for_torch_and_ultralytics():
    from geoarena.det.yolo_adapter import _torch_device

    # ultralytics' "0" / "1" / "0,1" (from --device cuda / cuda:1 / a multi-GPU run) → torch's
    assert [_torch_device(d) for d in ("cpu", "0", "1", "0,1", "mps")] == [
        "cpu",
        "cuda:0",
        "cuda:1",
        "cuda:0",
        "mps",
    ]


def test_amp_on_cuda_never_runs_the_downloading_amp_check(monkeypatch):
    import torch

    from geoarena.det.yolo_adapter import _amp

    assert _amp(True, "cpu") is False and _amp(False, "0") is False
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert _amp(True, "0") == "bf16"  # ultralytics skips check_amp (yolo26n.pt) for bf16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    assert _amp(True, "0") is False  # fp16 AMP (amp=True) would run the check


def _data(box_type: str) -> ChipDataModule:
    def build():
        rng = np.random.default_rng(0)
        out = {}
        for split, n in (("train", 6), ("val", 2), ("test", 2)):
            chips = []
            for i in range(n):
                bg = rng.integers(60, 120, (128, 128, 3), dtype=np.uint8)
                img, quads, labels = render_vehicles(bg, rng, 2)
                boxes = (
                    quads if box_type == "obb" else np.concatenate([quads.min(1), quads.max(1)], 1)
                )
                chips.append(
                    Chip(
                        "toy",
                        (i, 0, i + 128, 128),
                        img,
                        boxes,
                        labels,
                        np.zeros(len(labels), dtype=bool),
                    )
                )
            out[split] = chips
        return out

    return ChipDataModule(
        build, DetectionInfo(("small-vehicle", "large-vehicle"), box_type, imgsz=64)
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["det", "obb"])
def test_tiny_training_run_end_to_end(tmp_path, kind):
    box_type = "obb" if kind == "obb" else "hbb"
    data = _data(box_type)
    data.setup()
    task = Task(
        name=f"det/toy-{kind}",
        kind=kind,
        datamodule=lambda ctx: data,
        metrics=lambda: DetectionMetric(2, ("small-vehicle", "large-vehicle"), box_type),
        metric="ap50",
        num_classes=2,
        class_names=("small-vehicle", "large-vehicle"),
    )
    cfg = RunConfig(
        task=task.name,
        model="det/yolov8n",
        device="cpu",
        cache_dir=str(tmp_path),
        train=TrainConfig(epochs=1, batch_size=4, early_stop_patience=0, warmup_epochs=0),
    )
    adapter = YoloAdapter(mosaic=0.0)
    adapter.build(task, FINETUNE, cfg, data)
    seen = []
    fit = adapter.fit(data, cfg.train, lambda e, m: seen.append((e, m)))
    assert fit.epochs_run == 1 and [e for e, _ in seen] == [0]
    assert {"train/loss", "val/ap50", "val/map"} <= set(seen[0][1])
    batch = next(iter(data.loader("test", 2)))
    preds = adapter.predict(batch)
    assert len(preds) == 2
    shape = (4, 2) if kind == "obb" else (4,)
    for p in preds:
        assert p["boxes"].shape[1:] == shape and len(p["scores"]) == len(p["labels"]) == len(
            p["boxes"]
        )
    metric = task.metrics()
    metric.update(preds, batch)
    assert 0.0 <= metric.compute()["ap50"] <= 1.0
    files = adapter.log_artifacts(str(tmp_path))
    names = {os.path.basename(f) for f in files}
    assert {"learning_curve.png", "pr_curve.png", "history.json", "best.pt"} <= names
    # the harness, not ultralytics, logs: no mlflow.db written by ultralytics' callback
    assert (
        not (tmp_path / "mlflow.db").exists() and not os.path.exists("mlflow.db")
    ) or os.path.getmtime("mlflow.db") < os.path.getmtime(files[0])
