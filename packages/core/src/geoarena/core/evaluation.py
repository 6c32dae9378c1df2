"""Run a predict function over a split and compute a task's metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoarena.core.metrics import Metric
from geoarena.core.task import DataModule, Split


def evaluate_split(
    predict: Callable[[dict[str, Any]], Any],
    data: DataModule,
    split: Split,
    metric: Metric,
    batch_size: int,
    prefix: str | None = None,
) -> dict[str, float]:
    """``{f"{split}/{name}": value}`` for every metric value over ``split``.

    The metric is reset first so one instance can be reused epoch after epoch.
    """
    metric.reset()
    for batch in data.loader(split, batch_size, shuffle=False):
        metric.update(predict(batch), batch)
    tag = split if prefix is None else prefix
    return {f"{tag}/{k}": float(v) for k, v in metric.compute().items()}
