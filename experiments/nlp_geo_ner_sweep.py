"""Geo NER fine-tuning sweep: spaCy en_core_web_sm 3.8 NER fine-tuned on custom geo labels.

Task ``nlp/geo-ner``: by default the GeoVirus-derived set (COUNTRY / ADMIN_AREA / CITY / REGION,
labelled from the gazetteer feature class nearest each gold point — see
``geoarena.nlp.ner_training``); with ``--data-root DIR`` it reads ``DIR/geo_ner/{train,val,test}.json``
(any labels: DISASTER_AREA, CAMP, RIVER…). Searched: learning rate, dropout, batch size;
optimises ``val/f1`` epoch by epoch with the median pruner.

    python tools/sweep.py experiments/nlp_geo_ner_sweep.py --study geo-ner --storage memory \
        --n-trials 6 --final-seeds 0,1,2

Runtime on 2 CPU cores: ~30-60 s per trial (6 epochs over 160 articles), ~6-8 min in all.
Expected: entity F1 around 0.7–0.8 on the test split with a bootstrap CI over seeds.
"""

from __future__ import annotations

from typing import Any

from geoarena.core.config import RunConfig, SweepConfig, TrainConfig

SWEEP = SweepConfig(
    metrics=("val/f1",),
    directions=("maximize",),
    sampler="tpe",
    pruner="median",
    n_trials=6,
    seeds=(0, 1, 2),
)


def config() -> RunConfig:
    return RunConfig(
        task="nlp/geo-ner",
        model="nlp/spacy-ner",
        train=TrainConfig(epochs=6, batch_size=8, lr=1e-3, early_stop_patience=2),
    )


def space(trial: Any, cfg: RunConfig) -> RunConfig:
    cfg.train.lr = trial.suggest_float("train.lr", 3e-4, 1e-2, log=True)
    cfg.train.batch_size = trial.suggest_categorical("train.batch_size", [4, 8, 16])
    cfg.model_kwargs["dropout"] = trial.suggest_float("model_kwargs.dropout", 0.0, 0.4)
    return cfg
