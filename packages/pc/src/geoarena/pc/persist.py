"""A fitted point-cloud adapter written and read back in formats whose loading runs no code.

A pickled adapter (``joblib``) runs, on load, whatever callables its author named inside, and a
served model may come from anyone's tracking store. So the export holds:

* ``pc_settings.json``: the adapter kind and settings, the class map, the feature settings, the
  CRS and the point attributes (plain JSON);
* a random forest as ``pc_forest.skops`` (``skops.io`` rebuilds only trusted types: its
  defaults — builtins, numpy, scikit-learn estimators — plus :data:`TRUSTED_SKOPS_TYPES`; any
  other type named in the file is refused before anything is constructed);
* a point network's ``state_dict`` as ``pc_network.pt``, read with ``torch.load(weights_only=True)``
  (tensors and containers only), into a network rebuilt from the settings.

Model folders written before this change hold ``pc_model.joblib``; it is refused with a line
asking to re-export, never unpickled.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from geoarena.core.inputs import bad_input, check_input_file, load_skops, one_line
from geoarena.core.registry import MODELS

#: types beyond skops' defaults that a fitted RandomForestClassifier needs (its trees' arrays)
TRUSTED_SKOPS_TYPES = ("sklearn.tree._tree.Tree",)
WHAT = "point-cloud model"


def save_adapter(adapter: Any, ctx: dict[str, Any], out_dir: Path) -> dict[str, str]:
    """Write ``adapter`` (random forest or point network, fitted) → ``files`` of the export."""
    cmap = ctx["class_map"]
    settings: dict[str, Any] = {
        "num_classes": int(adapter.num_classes),
        "class_map": {
            "name": cmap.name,
            "class_names": list(cmap.class_names),
            "source": {str(code): name for code, name in cmap.source.items()},
        },
        "features": asdict(ctx["features"]),
        "crs": str(ctx.get("crs", "")),
        "attributes": list(ctx.get("attributes", ())),
    }
    if getattr(adapter, "forest", None) is not None:
        import skops.io

        settings.update(kind="forest", params=dict(adapter.params))
        weights = out_dir / "pc_forest.skops"
        skops.io.dump(adapter.forest, weights)
    else:
        import torch

        settings.update(
            kind="network",
            config=asdict(adapter.cfg),
            in_features=int(adapter.in_features),
            mean=[float(v) for v in adapter.mean],
            std=[float(v) for v in adapter.std],
        )
        weights = out_dir / "pc_network.pt"
        state = {k: v.detach().cpu() for k, v in adapter.model.state_dict().items()}
        torch.save(state, weights)
    path = out_dir / "pc_settings.json"
    path.write_text(json.dumps(settings, indent=2))
    return {"settings": str(path), "model": str(weights)}


def load_adapter(files: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """(adapter ready to predict, context: ``class_map``, ``features``) from ``files``."""
    model = check_input_file(files["model"], WHAT)
    if "settings" not in files or model.suffix.lower() in (".joblib", ".pkl", ".pickle"):
        raise bad_input(
            WHAT,
            "a pickled model, not loaded (unpickling runs any code inside the file); "
            "re-export the model with this GeoArena version",
            model,
        )
    settings_path = check_input_file(files["settings"], f"{WHAT} settings")
    try:
        settings = json.loads(settings_path.read_text(encoding="utf-8"))
        ctx = _context(settings)
        kind = settings["kind"]
    except (ValueError, KeyError, TypeError) as exc:  # JSON, missing keys, wrong values
        raise bad_input(
            f"{WHAT} settings", f"unreadable ({one_line(exc)})", settings_path
        ) from None
    if kind == "forest":
        return _forest(settings, model), ctx
    if kind == "network":
        return _network(settings, model), ctx
    raise bad_input(f"{WHAT} settings", f"unknown model kind {kind!r}", settings_path)


def _context(settings: dict[str, Any]) -> dict[str, Any]:
    from geoarena.pc.asprs import ClassMap
    from geoarena.pc.features import FeatureConfig

    cm = settings["class_map"]
    feats = dict(settings["features"])
    feats["knn_scales"] = tuple(int(k) for k in feats["knn_scales"])
    feats["height_radii_m"] = tuple(float(r) for r in feats["height_radii_m"])
    source = {int(code): name for code, name in cm["source"].items()}
    return {
        "class_map": ClassMap(cm["name"], tuple(cm["class_names"]), source),
        "features": FeatureConfig(**feats),
    }


def _forest(settings: dict[str, Any], path: Path) -> Any:
    forest = load_skops(path, WHAT, TRUSTED_SKOPS_TYPES)
    # adapters come from the registry: the model modules import this one (export) in turn
    adapter = MODELS.entry("pc/random-forest").obj(**settings["params"])
    adapter.forest, adapter.num_classes = forest, int(settings["num_classes"])
    return adapter


def _network(settings: dict[str, Any], path: Path) -> Any:
    import torch

    config = dict(settings["config"])
    adapter = MODELS.entry(f"pc/{config.pop('arch')}").obj(**config)
    try:  # weights_only: tensors and containers; a pickled callable is refused, not called
        state = torch.load(path, map_location="cpu", weights_only=True)
        adapter.restore(settings["in_features"], settings["num_classes"], settings, state)
    except Exception as exc:  # UnpicklingError, zip errors, missing/unexpected keys
        text = str(exc)
        if "Unsupported global:" in text:  # torch's advice around it would invite the unsafe load
            text = text.split("Unsupported global:")[1].split(" was not")[0].strip()
            text = f"refused: the weights pickle {text}"
        raise bad_input(WHAT, f"not loadable as network weights ({one_line(text)})", path) from None
    return adapter
