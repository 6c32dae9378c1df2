"""A transformers token-classification recogniser (e.g. a BERT NER fine-tuned on toponyms),
read from a local folder: hub downloads are disabled. It shares the :class:`Recognizer`
surface of :mod:`geoarena.nlp.recognition`, so it can stand in for spaCy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from geoarena.core.errors import ConfigError
from geoarena.nlp.recognition import Mention
from geoarena.nlp.text_spans import chunk_text


class TransformersRecognizer:
    """A transformers token-classification model (e.g. a BERT NER fine-tuned on toponyms) from
    a local folder; entity groups in ``labels`` become toponyms."""

    name = "transformers"

    def __init__(
        self, model_dir: str | Path, labels: Sequence[str] = ("LOC", "GPE", "FAC"), device: int = -1
    ):
        path = Path(model_dir)
        if not (path / "config.json").exists():
            raise ConfigError(
                f"{path}: no config.json — TransformersRecognizer needs a local token-classification "
                "model folder (config.json, tokenizer and weights); hub downloads are disabled"
            )
        from transformers import pipeline

        self.pipe = pipeline(
            "token-classification", model=str(path), aggregation_strategy="simple", device=device
        )
        self.labels = set(labels)

    def recognize(self, texts: Sequence[str]) -> list[list[Mention]]:
        out: list[list[Mention]] = []
        for t in texts:
            found = []
            for off, piece in chunk_text(t, 2000):
                for ent in self.pipe(piece):
                    if ent["entity_group"] in self.labels:
                        s, e = off + int(ent["start"]), off + int(ent["end"])
                        found.append(Mention(s, e, t[s:e], ent["entity_group"], "transformers"))
            out.append(found)
        return out
