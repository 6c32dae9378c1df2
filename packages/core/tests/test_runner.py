import numpy as np
import pytest

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError, Pruned
from geoarena.core.metrics import ConfusionMatrixMetric
from geoarena.core.runner import run
from geoarena.core.tracking import NullTracker
from geoarena.train.testing import register_toys


@pytest.fixture(autouse=True)
def toys():
    register_toys()


def cfg(**kw):
    return RunConfig(
        task="test/blobs",
        model="test/mlp",
        train=TrainConfig(epochs=4, batch_size=16, lr=0.01),
        **kw,
    )


def test_run_trains_and_logs_everything():
    t = NullTracker()
    res = run(cfg(), t)
    assert res.status == "FINISHED"
    assert res.test["test/overall_accuracy"] > 0.9  # separable blobs: a trained MLP nails them
    r = t.runs[res.run_id]
    assert r.status == "FINISHED"
    assert (
        r.tags["task"] == "test/blobs"
        and r.tags["seed"] == "0"
        and r.tags["config_hash"] == res.config_hash
    )
    assert (
        r.tags["frozen_or_full_ft"] == "full_ft" and r.tags["primary_metric"] == "overall_accuracy"
    )
    assert r.params["train.lr"] == "0.01"
    assert [s for s, _ in r.metrics["val/overall_accuracy"]] == [0, 1, 2, 3]  # per-epoch curve
    assert "config.json" in r.artifacts and "plots/confusion_matrix.png" in r.artifacts


def test_same_seed_same_numbers():
    a, b = run(cfg(seed=3)), run(cfg(seed=3))
    assert a.test == b.test


def test_failure_is_recorded_with_traceback():
    t = NullTracker()
    res = run(RunConfig(task="test/broken", model="test/mlp"), t)
    assert res.status == "FAILED"
    assert res.error == "DataError: toy.tif: corrupt raster: not a GeoTIFF"
    assert t.runs[res.run_id].status == "FAILED"
    assert "Traceback" in t.runs[res.run_id].artifacts["traceback.txt"]


def test_wrong_kind_is_a_config_error():
    from geoarena.core.registry import MODELS

    MODELS.register("test/seg-only", kinds=("seg",))(object)
    res = run(RunConfig(task="test/blobs", model="test/seg-only"))
    assert res.status == "FAILED" and "supports task kinds ('seg',), not 'cls'" in res.error
    with pytest.raises(ConfigError):
        run(RunConfig(task="test/blobs", model="test/seg-only"), raise_errors=True)


def test_pruning_hook_stops_run():
    t = NullTracker()

    def prune(epoch, metrics):
        if epoch == 1:
            raise Pruned("pruned at epoch 1")

    with pytest.raises(Pruned):
        run(cfg(), t, on_epoch=prune)
    (r,) = t.runs.values()
    assert r.tags["state"] == "PRUNED" and len(r.metrics["val/overall_accuracy"]) == 2


def test_linear_probe_freezes_first_layer():
    res = run(cfg(protocol="linear_probe"))
    assert res.status == "FINISHED"


def test_label_fraction_changes_training_set_only():
    from geoarena.train.testing import ToyBlobs

    d = ToyBlobs()
    d.setup(0.25, seed=0)
    small = d.num_samples("train"), d.num_samples("test")
    d.setup(1.0, seed=0)
    assert small[0] == 30 and d.num_samples("train") == 120 and small[1] == d.num_samples("test")


def test_confusion_matrix_metric_matches_sklearn():
    from sklearn.metrics import confusion_matrix, f1_score, jaccard_score

    rng = np.random.default_rng(0)
    t = rng.integers(0, 4, 500)
    p = np.where(rng.random(500) < 0.7, t, rng.integers(0, 4, 500))
    m = ConfusionMatrixMetric(4, "mask")
    m.update(p[:250], {"mask": t[:250]})
    m.update(p[250:], {"mask": t[250:]})
    out = m.compute()
    np.testing.assert_array_equal(m.confusion_matrix(), confusion_matrix(t, p))
    assert out["miou"] == pytest.approx(jaccard_score(t, p, average="macro"))
    assert out["f1_macro"] == pytest.approx(f1_score(t, p, average="macro"))
    assert out["overall_accuracy"] == pytest.approx((t == p).mean())


def test_ignore_index_excluded():
    m = ConfusionMatrixMetric(2, "mask", ignore_index=255)
    m.update(np.array([0, 1, 1, 0]), {"mask": np.array([0, 1, 255, 255])})
    assert m.compute()["overall_accuracy"] == 1.0


def test_a_finished_cell_discards_its_resume_checkpoint():
    t = NullTracker()
    res = run(cfg(), t)
    r = t.runs[res.run_id]
    assert r.tags["checkpoint_epoch"] == "3"  # stored after every epoch while it trained
    assert not [k for k in r.artifacts if k.startswith("checkpoints/")]
    assert not [k for (rid, k) in t.files if rid == res.run_id and k.startswith("checkpoints/")]


def test_the_runner_cleans_the_adapters_temporary_folder_whatever_the_outcome(tmp_path):
    import tempfile
    from pathlib import Path

    from geoarena.core.honoured import ALL_TRAIN_KEYS
    from geoarena.core.registry import MODELS
    from geoarena.train.testing import ToyMLPAdapter

    made: list[Path] = []

    class Scratchy(ToyMLPAdapter):
        """Writes a run folder in fit (as YOLO does) and fails there when asked."""

        fail = False

        def fit(self, data, train, on_epoch):
            self.workdir = Path(tempfile.mkdtemp(prefix="scratchy-", dir=tmp_path))
            (self.workdir / "weights.bin").write_bytes(b"0" * 1024)
            made.append(self.workdir)
            if self.fail:
                raise RuntimeError("out of memory")
            return super().fit(data, train, on_epoch)

        def cleanup(self):
            import shutil

            shutil.rmtree(self.workdir, ignore_errors=True)

    class Failing(Scratchy):
        fail = True

    for name, cls in (("test/scratchy", Scratchy), ("test/scratchy-fails", Failing)):
        MODELS.register(name, kinds=("cls",), protocols=("finetune",), train_keys=ALL_TRAIN_KEYS)(
            cls
        )
    ok = run(RunConfig(task="test/blobs", model="test/scratchy", train=TrainConfig(epochs=1)))
    bad = run(
        RunConfig(task="test/blobs", model="test/scratchy-fails", train=TrainConfig(epochs=1))
    )
    assert (ok.status, bad.status) == ("FINISHED", "FAILED")
    assert len(made) == 2 and not any(d.exists() for d in made)
