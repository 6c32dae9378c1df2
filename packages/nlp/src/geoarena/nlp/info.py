"""What the nlp models need to know about their data (``DataModule.info``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GeoparseInfo:
    """Facts of a geoparsing corpus split.

    Attributes:
        oracle: the gold toponym spans are given (resolution only), else the model recognises
            them itself (end-to-end geoparsing).
        corpus: corpus name (``GeoVirus``).
        path: the corpus file read.
        split_seed: the fixed seed of the document split (never the run's seed).
        cache_dir: where the gazetteer the resolvers open is built and cached.
    """

    oracle: bool
    corpus: str
    path: str
    split_seed: int
    cache_dir: str = ""


@dataclass(frozen=True)
class NerInfo:
    """Facts of an annotated NER data set, known once it is set up.

    Attributes:
        class_names: the entity labels of the training split (what the NER head predicts).
        source: the annotation folder or the built cache file read.
    """

    class_names: tuple[str, ...]
    source: str
