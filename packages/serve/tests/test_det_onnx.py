"""A YOLO cell's MLflow Model carries its ONNX export: the adapter built as the runner builds
it, exported, logged to a SQLite MLflow store; the run's tags hold the onnxruntime parity
figures and the logged ONNX file reproduces the torch head on the model's input example."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from geoarena.core.config import RunConfig
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.task import Task


def _task_and_data():
    from geoarena.det.coco_metric import DetectionMetric
    from geoarena.det.datamodule import ChipDataModule
    from geoarena.det.info import DetectionInfo

    names = ("small-vehicle", "large-vehicle")
    data = ChipDataModule(
        lambda: {"train": [], "val": [], "test": []}, DetectionInfo(names, "hbb", imgsz=64)
    )
    task = Task(
        name="det/toy-onnx",
        kind="det",
        datamodule=lambda ctx: data,
        metrics=lambda: DetectionMetric(2, names, "hbb"),
        metric="ap50",
        num_classes=2,
        class_names=names,
    )
    return task, data


def test_yolo_cell_logs_onnx_beside_the_mlflow_model(tmp_path):
    from geoarena.det.yolo_offline import ensure_offline

    ensure_offline(Path(tempfile.mkdtemp(prefix="geoarena-serve-yolo-")) / "yolo_config")
    import onnxruntime as ort
    import torch

    from geoarena.det.yolo_adapter import YoloAdapter
    from geoarena.serve.mlflow_model import load_predictor, log_model
    from geoarena.store.mlflow_tracker import MLflowTracker

    task, data = _task_and_data()
    adapter = YoloAdapter()
    cfg = RunConfig(task=task.name, model="det/yolov8n", device="cpu", cache_dir=str(tmp_path))
    adapter.build(task, STANDARD_PROTOCOLS[0], cfg, data)
    from ultralytics.nn.tasks import DetectionModel

    torch.manual_seed(0)
    # the task's two classes, as training would set them (the yaml model has COCO's 80)
    adapter.model.model = DetectionModel("yolov8n.yaml", nc=2, verbose=False)
    adapter.model.model.names = dict(enumerate(task.class_names))
    head = adapter.model.model.model[-1]
    with torch.no_grad():  # spread the untrained head's scores (ties: see det.onnx_export)
        for p in [*head.cv2.parameters(), *head.cv3.parameters()]:
            p.add_(torch.randn_like(p))
    (tmp_path / "export").mkdir()  # log_exported_model hands export() a temporary folder
    exported = adapter.export(str(tmp_path / "export"))
    assert set(exported.files) == {"weights", "onnx"} and "onnx_error" not in exported.card
    assert exported.card["onnx_matched"] == 1.0 and exported.card["onnx_max_abs_diff"] < 1e-2

    tracker = MLflowTracker("det-onnx", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    run_id = tracker.start_run("cell")
    log_model(tracker, run_id, exported)
    tracker.end_run(run_id)
    run = tracker.client.get_run(run_id)
    assert float(run.data.tags["onnx_max_abs_diff"]) < 1e-2
    assert float(run.data.tags["onnx_matched"]) == 1.0
    assert int(run.data.tags["onnx_n_compared"]) == exported.card["onnx_n_compared"] > 0
    artifacts = {a.path for a in tracker.client.list_artifacts(run_id, "model/artifacts")}
    assert {"model/artifacts/best.onnx", "model/artifacts/best.pt"} <= artifacts

    # the logged ONNX file, downloaded from the store, gives the torch head's output
    local = tracker.client.download_artifacts(
        run_id, "model/artifacts/best.onnx", str(tmp_path / "dl")
    )
    x = np.ascontiguousarray(exported.input_example.transpose(0, 3, 1, 2), np.float32) / 255.0
    sess = ort.InferenceSession(local, providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    # the reference is the logged checkpoint (ultralytics stores fp16 weights), not the fp32
    # model still in memory
    from geoarena.det.safe_load import load_yolo

    pt = tracker.client.download_artifacts(run_id, "model/artifacts/best.pt", str(tmp_path / "dl"))
    net = load_yolo(pt).model.float().fuse().eval()
    with torch.no_grad():
        ref = net(torch.from_numpy(x))[0].numpy()
    assert np.abs(ref - got).max() < 1e-2
    predictor, card = load_predictor(
        tracker.client.download_artifacts(run_id, "model", str(tmp_path / "model"))
    )
    assert card["onnx_matched"] == 1.0 and "onnxruntime" in card["requirements"]
    rows = predictor.predict(exported.input_example)
    assert len(rows) == card["onnx_n_torch"] and set(rows["label"]) <= set(task.class_names)
