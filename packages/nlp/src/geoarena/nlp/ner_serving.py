"""Serving export of a fine-tuned spaCy NER cell, and the predictor ``geoarena.serve`` loads.

The pipeline is written with spaCy's own ``to_disk`` (config + weights, no pickle) and read back
with ``spacy.load``. Output: the task's entity labels only, as character spans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoarena.core.errors import DataError
from geoarena.core.model import ExportedModel

if TYPE_CHECKING:
    from geoarena.nlp.ner_training import SpacyNerAdapter

LOADER = "geoarena.nlp.ner_serving:load_ner_predictor"


def export_spacy_ner(adapter: SpacyNerAdapter, out_dir: str | Path) -> ExportedModel | None:
    import pandas as pd

    if getattr(adapter, "nlp", None) is None:
        return None
    folder = Path(out_dir) / "pipeline"
    adapter.nlp.to_disk(folder)
    card = {
        **{k: v for k, v in vars(adapter.card).items() if k != "extra"},
        "modality": "nlp",
        "task": adapter.task_name,
        "task_kind": "ner",
        "class_names": list(adapter.labels),
        "requirements": ["spacy"],
    }
    example = pd.DataFrame({"text": ["Floods hit Dhaka and the Ganges delta on Tuesday."]})
    return ExportedModel(LOADER, {"pipeline": str(folder)}, card, example)


class NerPredictor:
    """Texts → entity spans of the task's labels."""

    def __init__(self, files: dict[str, str], card: dict[str, Any]):
        import spacy

        self.card = card
        # no code runs from the folder: config.cfg only names functions already registered by
        # installed packages, and the weights are msgpack arrays (spaCy's to_disk), not pickles
        self.nlp = spacy.load(files["pipeline"])
        self.labels = set(card["class_names"])

    def entities(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        return [
            [
                {"start": e.start_char, "end": e.end_char, "label": e.label_, "text": e.text}
                for e in doc.ents
                if e.label_ in self.labels
            ]
            for doc in self.nlp.pipe(texts, batch_size=32)
        ]

    def predict(self, inputs: Any):
        """DataFrame ``text`` (or a list of str) → DataFrame ``doc, start, end, label, text``."""
        import pandas as pd

        if isinstance(inputs, pd.DataFrame):
            if "text" not in inputs.columns:
                raise DataError(f"input needs a 'text' column, got {list(inputs.columns)}")
            texts = [str(t) for t in inputs["text"]]
        else:
            texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        rows = [{"doc": i, **ent} for i, ents in enumerate(self.entities(texts)) for ent in ents]
        return pd.DataFrame(rows, columns=["doc", "start", "end", "label", "text"])

    def predict_file(self, input: Path, output: Path) -> dict[str, Any]:
        """A ``.txt`` file → JSON list of entity spans."""
        input, output = Path(input), Path(output)
        if not input.is_file():
            raise DataError("text input not found", input)
        (ents,) = self.entities([input.read_text(encoding="utf-8")])
        output.write_text(json.dumps(ents, indent=1))
        return {"entities": len(ents), "output": str(output)}


def load_ner_predictor(files: dict[str, str], card: dict[str, Any]) -> NerPredictor:
    return NerPredictor(files, card)
