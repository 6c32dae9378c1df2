"""A finished cell's resume checkpoint leaves the MLflow artifact store (it only serves resume
and holds model + optimizer state); the rest of the run's artifacts stay."""

from __future__ import annotations

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.runner import run
from geoarena.store.mlflow_tracker import MLflowTracker
from geoarena.train.testing import register_toys


def _names(tracker: MLflowTracker, run_id: str, path: str | None = None) -> list[str]:
    return [a.path for a in tracker.client.list_artifacts(run_id, path)]


def test_a_finished_cell_keeps_no_checkpoint_but_its_other_artifacts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the store's artifact folder lands in tmp
    register_toys()
    tracker = MLflowTracker("ckpt", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    cfg = RunConfig(task="test/blobs", model="test/mlp", train=TrainConfig(epochs=3, lr=0.01))
    res = run(cfg, tracker)
    assert res.status == "FINISHED"
    run_info = tracker.client.get_run(res.run_id)
    assert run_info.data.tags["checkpoint_epoch"] == "2"  # a checkpoint was stored every epoch…
    names = _names(tracker, res.run_id)
    assert "checkpoints" not in names  # …and removed once the cell finished
    assert "config.json" in names


def test_delete_artifacts_removes_a_folder_and_ignores_a_missing_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tracker = MLflowTracker("del", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    rid = tracker.start_run("r")
    f = tmp_path / "last.pt"
    f.write_bytes(b"x" * 1000)
    tracker.log_artifact(rid, f, "checkpoints")
    tracker.log_text(rid, "kept", "notes.txt")
    assert _names(tracker, rid, "checkpoints") == ["checkpoints/last.pt"]
    tracker.delete_artifacts(rid, "checkpoints")
    tracker.delete_artifacts(rid, "never-logged")  # nothing there: not an error
    assert _names(tracker, rid) == ["notes.txt"]
    tracker.end_run(rid)
