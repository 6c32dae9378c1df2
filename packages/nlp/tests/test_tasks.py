import pytest

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import DataError
from geoarena.core.registry import MODELS, SUITES, TASKS
from geoarena.core.runner import run
from geoarena.nlp.ner_training import NerMetric, read_annotated_json


def test_registry_entries():
    assert {"nlp/geovirus-resolution", "nlp/geovirus-geoparse", "nlp/geo-ner"} <= set(
        TASKS.names("nlp/")
    )
    assert {
        "nlp/population-baseline",
        "nlp/context-resolver",
        "nlp/learned-ranker",
        "nlp/spacy-ner",
    } <= set(MODELS.names("nlp/"))
    assert "nlp" in SUITES.names()
    default = SUITES.get("default")
    assert any(e.task == "nlp/geovirus-resolution" for e in default.entries)


@pytest.mark.parametrize(
    ("model", "acc"), [("nlp/context-resolver", None), ("nlp/population-baseline", None)]
)
def test_resolution_task_runs_in_harness(fixtures, gaz_cache, model, acc):
    cfg = RunConfig(
        task="nlp/geovirus-resolution",
        model=model,
        data_root=str(fixtures["root"]),
        cache_dir=str(gaz_cache),
        train=TrainConfig(batch_size=4),
    )
    res = run(cfg, raise_errors=True)
    assert res.status == "FINISHED"
    assert 0.0 <= res.test["test/acc161"] <= 1.0
    assert res.test["test/acc161_polygon"] >= res.test["test/acc161"]
    assert res.test["test/rec_f1_exact"] == 1.0  # oracle spans
    assert res.test["test/n_docs"] == 1.0


def test_geovirus_missing_data_root(tmp_path, gaz_cache, monkeypatch):
    import geoarena.nlp.corpora as corpora

    monkeypatch.setattr(corpora, "default_geovirus_path", lambda: None)
    cfg = RunConfig(
        task="nlp/geovirus-resolution",
        model="nlp/context-resolver",
        data_root=str(tmp_path),
        cache_dir=str(gaz_cache),
    )
    with pytest.raises(DataError, match=r"GeoVirus\.xml not found"):
        run(cfg, raise_errors=True)


def test_annotated_json_validation(tmp_path):
    p = tmp_path / "a.json"
    p.write_text('[{"text": "abc", "entities": [[0, 5, "X"]]}]')
    with pytest.raises(DataError, match="outside the text"):
        read_annotated_json(p)
    p.write_text('[{"text": "abcdef", "entities": [[0, 3, "X"], [2, 4, "Y"]]}]')
    with pytest.raises(DataError, match="overlapping"):
        read_annotated_json(p)
    p.write_bytes(b"\xff\xfe")
    with pytest.raises(DataError, match="not valid UTF-8 JSON"):
        read_annotated_json(p)


def test_ner_metric_numbers():
    m = NerMetric()
    m.update(
        [[[0, 5, "CAMP"], [10, 15, "RIVER"]]],
        {"entities": [[[0, 5, "CAMP"], [10, 15, "CAMP"], [20, 25, "RIVER"]]]},
    )
    out = m.compute()
    assert out["precision"] == pytest.approx(0.5) and out["recall"] == pytest.approx(1 / 3)
    assert out["f1/CAMP"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert out["f1/RIVER"] == 0.0


def test_spacy_ner_learns_custom_labels(fixtures, gaz_cache):
    cfg = RunConfig(
        task="nlp/geo-ner",
        model="nlp/spacy-ner",
        data_root=str(fixtures["root"]),
        cache_dir=str(gaz_cache),
        seed=0,
        train=TrainConfig(epochs=12, batch_size=1, lr=3e-3, early_stop_patience=0),
    )
    res = run(cfg, raise_errors=True)
    assert res.status == "FINISHED"
    assert res.test["test/f1"] >= 0.8  # train = test here: a memorisation check that training works
    assert {"test/f1/CAMP", "test/f1/RIVER", "test/f1/DISASTER_AREA"} <= set(res.test)
