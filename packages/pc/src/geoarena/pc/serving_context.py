"""What a point-cloud adapter keeps from its data for serving (light: no heavy imports)."""

from __future__ import annotations

from typing import Any


def serving_context(data: Any) -> dict[str, Any]:
    """Class map and feature settings of a ``CloudDataModule`` (empty for other data)."""
    cfg = getattr(data, "cfg", None)
    if not hasattr(data, "class_map") or not hasattr(cfg, "features"):
        return {}
    cloud = getattr(data, "cloud", None)
    attributes = tuple(getattr(cloud, "attributes", {}) or ())
    return {
        "class_map": data.class_map,
        "features": cfg.features,
        "crs": getattr(data.info, "crs", ""),  # PointCloudInfo once set up
        "attributes": attributes,
    }
