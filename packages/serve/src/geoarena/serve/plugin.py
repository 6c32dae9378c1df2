"""Entry point ``geoarena.plugins: serve``: adds the MLflow Model logger to the runner's hook."""

from __future__ import annotations


def _log_model(tracker, run_id, exported) -> None:
    # imported on first use: registering the plugin must not import mlflow
    from geoarena.serve.mlflow_model import log_model

    log_model(tracker, run_id, exported)


def register() -> None:
    from geoarena.core.model import MODEL_LOGGERS

    if _log_model not in MODEL_LOGGERS:
        MODEL_LOGGERS.append(_log_model)
