"""Harness tasks of the nlp package: GeoVirus resolution (oracle NER), GeoVirus end-to-end
geoparsing, and geo NER fine-tuning (spaCy) on annotated JSON.

GeoVirus is split by document with a declared seed (:data:`SPLIT_SEED`, the same for every run
so validation and test never change); a run's own seed only drives training (LightGBM, spaCy).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geoarena.core.metrics import Metric
from geoarena.core.registry import TASKS
from geoarena.core.task import DataContext, DataModule, Split, Task
from geoarena.nlp.corpora import (
    GEOVIRUS_HINT,
    SPLIT_SEED,
    Document,
    geovirus_path,
    read_geovirus,
    split_documents,
)
from geoarena.nlp.info import GeoparseInfo

__all__ = ["GEOVIRUS_HINT", "SPLIT_SEED", "geovirus_path"]  # their home is corpora


class GeoparseData(DataModule):
    """Documents of a geoparsing corpus split by document; batches are
    ``{"doc": [Document], "text": [str], "doc_id": [str]}``.

    ``label_fraction`` subsets the training documents (deterministic in ``seed``).
    """

    def __init__(self, ctx: DataContext, oracle: bool):
        self.ctx = ctx
        self.path = geovirus_path(ctx)
        self.info = GeoparseInfo(
            oracle=oracle,
            corpus="GeoVirus",
            path=str(self.path),
            split_seed=SPLIT_SEED,
            cache_dir=str(ctx.cache_dir),
        )
        self.splits: dict[str, list[Document]] = {}

    def setup(self, label_fraction: float = 1.0, seed: int = 0) -> None:
        docs = read_geovirus(self.path)
        self.splits = split_documents(docs, seed=SPLIT_SEED)
        if self.ctx.quick:  # a laptop run: a third of every split
            self.splits = {k: v[: max(2, len(v) // 3)] for k, v in self.splits.items()}
        if label_fraction < 1.0:
            train = list(self.splits["train"])
            random.Random(seed).shuffle(train)
            self.splits["train"] = train[: max(1, math.ceil(len(train) * label_fraction))]

    def loader(
        self, split: Split, batch_size: int, shuffle: bool | None = None
    ) -> Iterable[dict[str, Any]]:
        docs = list(self.splits[split])
        if shuffle if shuffle is not None else split == "train":
            random.Random(0).shuffle(docs)
        for i in range(0, len(docs), max(1, batch_size)):
            chunk = docs[i : i + batch_size]
            yield {
                "doc": chunk,
                "text": [d.text for d in chunk],
                "doc_id": [d.doc_id for d in chunk],
            }

    def num_samples(self, split: Split) -> int:
        return len(self.splits.get(split, []))


class GeoparseMetric(Metric):
    """Recognition P/R/F1, acc@161 km, mean/median km, AUC, polygon-aware accuracy and bootstrap
    CIs over documents; predictions are ``list[list[Resolved]]`` per batch."""

    def __init__(self, n_boot: int = 1000):
        self.n_boot = n_boot
        self.reset()

    def reset(self) -> None:
        self.scores = []
        self._gaz = None

    def bind_gazetteer(self, gaz) -> None:
        self._gaz = gaz

    def update(self, pred: Any, batch: dict[str, Any]) -> None:
        from geoarena.nlp.evaluation import score_document

        if len(pred) != len(batch["doc"]):
            raise ValueError(f"{len(pred)} predictions for {len(batch['doc'])} documents")
        gaz = self._gaz
        if gaz is None:
            from geoarena.nlp.gazetteer import Gazetteer

            cache = batch.get("cache_dir")
            gaz = self._gaz = Gazetteer.open(Path(cache) if cache else None)
        for doc, res in zip(batch["doc"], pred):
            self.scores.append(score_document(doc, res, gaz, end_to_end=True))

    def compute(self) -> dict[str, float]:
        from geoarena.nlp.evaluation import summarize

        return summarize(self.scores, n_boot=self.n_boot)

    def per_sample_scores(self):
        import numpy as np

        return np.asarray(
            [
                np.mean([e <= 161.0 for e in s.errors_km]) if s.errors_km else np.nan
                for s in self.scores
            ]
        )


@TASKS.register("nlp/geovirus-resolution")
def geovirus_resolution() -> Task:
    return Task(
        name="nlp/geovirus-resolution",
        kind="geoparse",
        datamodule=lambda ctx: GeoparseData(ctx, oracle=True),
        metrics=GeoparseMetric,
        metric="acc161",
        direction="maximize",
        capabilities=("toponym-resolution", "oracle-ner"),
        modality="nlp",
        dataset="geovirus",
        description="GeoVirus (Gritta et al. 2018) toponym resolution with gold spans (oracle NER)",
    )


@TASKS.register("nlp/geovirus-geoparse")
def geovirus_geoparse() -> Task:
    return Task(
        name="nlp/geovirus-geoparse",
        kind="geoparse",
        datamodule=lambda ctx: GeoparseData(ctx, oracle=False),
        metrics=GeoparseMetric,
        metric="acc161",
        direction="maximize",
        capabilities=("toponym-recognition", "toponym-resolution"),
        modality="nlp",
        dataset="geovirus",
        description="GeoVirus end-to-end geoparsing (spaCy NER + gazetteer, then resolution)",
    )


@TASKS.register("nlp/geo-ner")
def geo_ner() -> Task:
    from geoarena.nlp.ner_training import GEO_NER_LABELS, NerData, NerMetric

    return Task(
        name="nlp/geo-ner",
        kind="ner",
        datamodule=NerData,
        metrics=NerMetric,
        metric="f1",
        direction="maximize",
        num_classes=len(GEO_NER_LABELS),
        class_names=GEO_NER_LABELS,
        capabilities=("ner", "custom-labels"),
        modality="nlp",
        dataset="geovirus-geo-ner",
        description="spaCy NER fine-tuning on custom geo labels (annotated JSON; default: GeoVirus-derived)",
    )


def _register_suites() -> None:
    from geoarena.core.suite import SuiteEntry, extend_suite

    resolvers = ("nlp/population-baseline", "nlp/context-resolver", "nlp/learned-ranker")
    # default suite: ≤ 2 min on 2 cores (first run also builds the gazetteer, ~40 s)
    extend_suite("default", SuiteEntry("nlp/geovirus-resolution", resolvers, seeds=(0,)))
    extend_suite(
        "default", SuiteEntry("nlp/geovirus-geoparse", ("nlp/context-resolver",), seeds=(0,))
    )
    extend_suite(
        "default",
        SuiteEntry(
            "nlp/geo-ner",
            ("nlp/spacy-ner",),
            seeds=(0,),
            train={"epochs": 2, "batch_size": 4, "lr": 2e-3},
            quick_train={"epochs": 1},
        ),
    )
    desc = (
        "geo-NLP: GeoVirus resolution (oracle) and end to end, geo NER fine-tuning; full schedules"
    )
    extend_suite(
        "nlp", SuiteEntry("nlp/geovirus-resolution", resolvers, seeds=(0, 1, 2)), description=desc
    )
    extend_suite("nlp", SuiteEntry("nlp/geovirus-geoparse", resolvers, seeds=(0, 1, 2)))
    extend_suite(
        "nlp",
        SuiteEntry(
            "nlp/geo-ner",
            ("nlp/spacy-ner",),
            seeds=(0, 1, 2),
            train={"epochs": 20, "batch_size": 4, "lr": 2e-3, "early_stop_patience": 4},
        ),
    )


_register_suites()
