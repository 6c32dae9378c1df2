"""Repository-wide pytest hooks: tests marked ``cuda`` are deselected (not skipped) on a
machine without a CUDA device; ``benchmarks/gpu_check.sh`` runs them where there is one."""

from __future__ import annotations


def pytest_collection_modifyitems(config, items):
    if not any(item.get_closest_marker("cuda") for item in items):
        return
    import torch

    if torch.cuda.is_available():
        return
    keep = [i for i in items if i.get_closest_marker("cuda") is None]
    dropped = [i for i in items if i.get_closest_marker("cuda") is not None]
    config.hook.pytest_deselected(items=dropped)
    items[:] = keep
