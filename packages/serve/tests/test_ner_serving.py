"""The spaCy NER leaf's serving export: the served pipeline finds the spans the fitted adapter
finds (spaCy's own to_disk/load, no pickle)."""

from __future__ import annotations

import json

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.protocol import STANDARD_PROTOCOLS
from geoarena.core.task import DataModule, Task
from geoarena.nlp.info import NerInfo
from geoarena.nlp.ner_training import NerMetric, SpacyNerAdapter
from geoarena.serve.mlflow_model import load_predictor, save_model

CITIES = ("Paris", "Lagos", "Lima", "Hanoi", "Oslo", "Quito")
TEXTS = [f"Officials in {c} reported new cases of the disease." for c in CITIES]


class _Sentences(DataModule):
    info = NerInfo(class_names=("CITY",), source="in-memory test sentences")

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        pass

    def num_samples(self, split):
        return len(TEXTS)

    def loader(self, split, batch_size, shuffle=None):
        ents = [[[13, 13 + len(c), "CITY"]] for c in CITIES]
        yield {"text": list(TEXTS), "entities": ents}


def test_served_ner_pipeline_finds_what_the_adapter_finds(tmp_path):
    data = _Sentences()
    task = Task(
        name="test/ner", kind="ner", datamodule=lambda ctx: data, metrics=NerMetric, metric="f1"
    )
    adapter = SpacyNerAdapter(base="blank")
    adapter.build(task, STANDARD_PROTOCOLS[0], RunConfig(task=task.name), data)
    adapter.fit(data, TrainConfig(epochs=15, batch_size=2, lr=1e-2), lambda e, m: None)
    want = adapter.predict({"text": TEXTS})
    assert sum(len(w) for w in want) >= 4  # it learnt the spans
    folder = save_model(adapter.export(str(tmp_path)), tmp_path / "model")
    predictor, card = load_predictor(str(folder))
    assert card["task_kind"] == "ner" and card["class_names"] == ["CITY"]
    rows = predictor.predict(TEXTS)
    got = [
        [[r.start, r.end, r.label] for r in rows[rows["doc"] == i].itertuples()]
        for i in range(len(TEXTS))
    ]
    assert got == want
    txt = tmp_path / "doc.txt"
    txt.write_text(TEXTS[0])
    predictor.predict_file(txt, tmp_path / "ents.json")
    assert [
        [e["start"], e["end"], e["label"]] for e in json.loads((tmp_path / "ents.json").read_text())
    ] == want[0]
