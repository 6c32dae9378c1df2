"""ModelAdapter for geoparsing tasks: a recogniser (or the gold spans) plus a resolver."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError
from geoarena.core.model import EpochCallback, FitResult, ModelAdapter, ModelCard
from geoarena.core.protocol import EvalProtocol
from geoarena.core.registry import MODELS
from geoarena.core.task import DataModule, Task
from geoarena.nlp.evaluation import oracle_mentions, score_document, summarize
from geoarena.nlp.focus import publication_anchor
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.geoparser import GeoparserConfig, build_recognizer
from geoarena.nlp.info import GeoparseInfo
from geoarena.nlp.resolution import LearnedRanker, make_resolver


class GeoparseAdapter(ModelAdapter):
    """Resolver ``population`` | ``context`` | ``learned``; recogniser ``combined`` (default),
    ``spacy`` or ``gazetteer`` for end-to-end tasks (oracle tasks use the gold spans).

    ``fit`` trains the LightGBM ranker on the training documents (other resolvers have nothing
    to train) and reports validation accuracy through ``on_epoch`` once.
    """

    def __init__(
        self,
        resolver: str = "context",
        recognizer: str = "combined",
        spacy_model: str = "",
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
    ):
        self.resolver_name = resolver
        self.recognizer_name = recognizer
        self.spacy_model = spacy_model
        self.lgb = {
            "n_estimators": n_estimators,
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
        }
        self.card = ModelCard(
            name=f"nlp/{resolver}",
            backbone=f"{recognizer}+{resolver}",
            decoder="",
            input_unit="text",
            weights="geonames+natural-earth",
        )

    def build(self, task: Task, protocol: EvalProtocol, cfg: RunConfig, data: DataModule) -> None:
        info = data.info
        if not isinstance(info, GeoparseInfo):
            raise ConfigError(
                f"{self.card.name} reads a geoparsing corpus (GeoparseInfo); task {task.name}'s "
                f"data info is {type(info).__name__}"
            )
        self.oracle = info.oracle
        self.task_name = task.name
        self.seed = cfg.seed
        self.gaz = Gazetteer.open(Path(info.cache_dir) if info.cache_dir else None)
        kwargs = {"seed": cfg.seed} if self.resolver_name == "learned" else {}
        self.resolver = make_resolver(self.resolver_name, self.gaz, **kwargs)
        self.recognizer = None
        if not self.oracle:
            gcfg = GeoparserConfig(recognizer=self.recognizer_name)
            if self.spacy_model:
                gcfg.spacy_model = self.spacy_model
            self.recognizer = build_recognizer(gcfg, self.gaz)

    def fit(self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback) -> FitResult:
        extra: dict[str, Any] = {}
        if isinstance(self.resolver, LearnedRanker):
            docs = [d for b in data.loader("train", 64, shuffle=False) for d in b["doc"]]
            extra = self.resolver.fit(docs, **self.lgb)
        scores = []
        for batch in data.loader("val", 32, shuffle=False):
            for doc, res in zip(batch["doc"], self.predict(batch)):
                scores.append(score_document(doc, res, self.gaz, end_to_end=not self.oracle))
        val = {f"val/{k}": v for k, v in summarize(scores, n_boot=0).items()}
        on_epoch(0, val)
        return FitResult(best_epoch=0, best_val=val, epochs_run=1, extra=extra)

    def predict(self, batch: dict[str, Any]) -> list:
        # a document's publication place, where its corpus gives one, is the focus prior
        pubs = [publication_anchor(self.gaz, d.publication_place) for d in batch["doc"]]
        if self.oracle:
            return [
                self.resolver.resolve(d.text, oracle_mentions(d), pub)
                for d, pub in zip(batch["doc"], pubs)
            ]
        mentions = self.recognizer.recognize(batch["text"])
        return [
            self.resolver.resolve(t, ms, pub) if ms else []
            for t, ms, pub in zip(batch["text"], mentions, pubs)
        ]

    throughput_unit = "doc"

    def export(self, out_dir: str):
        """The geoparser's config (+ ranker) for serving (``geoarena.nlp.serving``)."""
        from geoarena.nlp.serving import export_geoparser

        return export_geoparser(self, out_dir)


@dataclass(frozen=True)
class ResolverModel:
    """A registered geoparser: ``name`` runs ``GeoparseAdapter(resolver=resolver)``."""

    name: str
    resolver: str


RESOLVER_MODELS = (
    ResolverModel("nlp/population-baseline", "population"),
    ResolverModel("nlp/context-resolver", "context"),
    ResolverModel("nlp/learned-ranker", "learned"),
)


@MODELS.register_each(
    RESOLVER_MODELS,
    name=lambda m: m.name,
    kinds=("geoparse",),
    family="geoarena-geoparser",
    protocols=("finetune",),
    train_keys=(),  # the resolvers fit on the training documents, no optimiser
)
def make_geoparser(model: ResolverModel, **kw: Any) -> GeoparseAdapter:
    """The geoparser of ``model`` (recogniser options in ``kw``)."""
    return GeoparseAdapter(resolver=model.resolver, **kw)
