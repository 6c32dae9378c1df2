"""Serving export of a trained EO torch model, and the predictor that loads it back.

``export_eo_model`` writes the task network (normalised image in, logits out) as TorchScript
(traced on CPU; loads without the model's Python code) and as ONNX with an onnxruntime parity
check, plus a ModelCard dict: bands, input unit, per-band normalisation, classes, expected GSD,
chip size. ``load_eo_predictor`` is the loader ``geoarena.serve`` calls: ``EOPredictor.predict``
takes raw chips in the card's unit, ``scene_model`` feeds ``predict_scene``.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from geoarena.core.errors import DataError
from geoarena.core.model import ExportedModel

if TYPE_CHECKING:
    from geoarena.eo.models.adapter import EOTorchAdapter

log = logging.getLogger(__name__)

LOADER = "geoarena.eo.models.export:load_eo_predictor"


def export_eo_model(adapter: EOTorchAdapter, out_dir: str | Path) -> ExportedModel | None:
    """TorchScript + ONNX + card of ``adapter``'s trained network (``None`` for multi-temporal
    or metadata-conditioned inputs, which a single image tensor cannot carry)."""
    from geoarena.eo.models.onnx_export import _ImageOnly, export_onnx, onnx_parity

    info = adapter.data_info
    if info.n_time_steps > 1 or adapter.model is None:
        return None
    if adapter.task.kind not in ("seg", "cls", "multilabel"):
        return None  # pixel regression has no class map to serve yet
    out = Path(out_dir)
    bands = info.band_names
    size = info.chip_size or 64
    mean = np.asarray(info.mean or [0.0] * len(bands), np.float32)
    std = np.asarray(info.std or [1.0] * len(bands), np.float32)
    # a deterministic raw-unit example (2 chips) drawn from the data's band statistics
    rng = np.random.default_rng(0)
    raw = (
        mean[None, :, None, None]
        + std[None, :, None, None] * rng.standard_normal((2, len(bands), size, size))
    ).astype(np.float32)
    x = torch.from_numpy((raw - mean[:, None, None]) / std[:, None, None])
    net = copy.deepcopy(adapter.model.net).cpu().eval()
    with torch.no_grad():
        traced = torch.jit.trace(_ImageOnly(net), x, check_trace=False)
    ts_path = out / "model.pt"
    torch.jit.save(traced, str(ts_path))
    files = {"torchscript": str(ts_path)}
    card: dict[str, Any] = {
        **{k: v for k, v in vars(adapter.card).items() if k != "extra"},
        "modality": "eo",
        "task": adapter.task.name,
        "task_kind": adapter.task.kind,
        "class_names": list(adapter.task.class_names or info.class_names),
        "num_classes": int(adapter.task.num_classes),
        "data_bands": list(bands),
        "data_input_unit": info.input_unit,
        "normalization": info.normalization,
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "gsd": float(info.gsd or adapter.card.gsd or 0.0),
        "chip_size": size,
        # the run's test-time augmentation: scene prediction applies it unless told otherwise
        "tta": getattr(adapter, "config", None) is not None and adapter.config.tta == "d4",
        "requirements": ["torch", "rasterio", "onnxruntime"],
    }
    try:
        onnx_path = export_onnx(net, x, out / "model.onnx")
        parity = onnx_parity(net, onnx_path, x)
        files["onnx"] = str(onnx_path)
        card["onnx_max_abs_diff"] = parity.max_abs_diff
        card["onnx_argmax_agreement"] = parity.argmax_agreement
    except Exception as exc:  # some layers have no ONNX export; TorchScript still serves
        # torch's exporter appends the whole traced graph to its message: keep the first line
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
        log.warning("%s: no ONNX export (%s)", adapter.name, reason)
        card["onnx_error"] = reason
    return ExportedModel(loader=LOADER, files=files, card=card, input_example=raw)


class _ChipClassToPixels(torch.nn.Module):
    """A chip classifier as a scene model: ``(B, K)`` logits spread over the window."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.net(x)
        return y[:, :, None, None].expand(-1, -1, x.shape[-2], x.shape[-1])


def _load_torchscript(path: str) -> torch.nn.Module:
    """A TorchScript archive, which runs no Python on load: its pickles go through TorchScript's
    own unpickler (tensors, containers and TorchScript classes only; any other global such as
    ``os.system`` is "Unknown type name") and its code is TorchScript, compiled by torch and
    limited to torch operators. A damaged or foreign file is one line naming it."""
    import warnings

    from geoarena.core.inputs import bad_input, check_input_file

    p = check_input_file(path, "TorchScript model")
    try:
        with warnings.catch_warnings():  # torch >= 2.9 warns that jit is deprecated: not the user's
            warnings.simplefilter("ignore", FutureWarning)
            return torch.jit.load(str(p), map_location="cpu")
    except Exception as exc:  # RuntimeError from the archive reader or the unpickler
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise bad_input("TorchScript model", f"not loadable ({reason})", p) from None


class EOPredictor:
    """Raw chips in the card's unit → classes; ``scene_model`` for ``predict_scene``."""

    def __init__(
        self, files: dict[str, str], card: dict[str, Any], net: torch.nn.Module | None = None
    ):
        self.card = card
        self.net = net if net is not None else _load_torchscript(files["torchscript"])
        self.net.eval()
        self.mean = np.asarray(card["mean"], np.float32)[:, None, None]
        self.std = np.asarray(card["std"], np.float32)[:, None, None]
        self.kind = card["task_kind"]

    @property
    def scene_model(self) -> torch.nn.Module:
        """``(B, C, h, w)`` normalised → ``(B, K, h, w)`` logits (chip classes spread)."""
        return self.net if self.kind == "seg" else _ChipClassToPixels(self.net)

    def predict(self, inputs: Any) -> np.ndarray:
        """``(B, C, H, W)`` (or one ``(C, H, W)``) raw values → ``(B, H, W)`` classes (seg),
        ``(B,)`` classes (cls) or ``(B, K)`` 0/1 labels (multilabel)."""
        x = np.asarray(inputs, dtype=np.float32)
        if x.ndim == 3:
            x = x[None]
        n_bands = len(self.card["data_bands"])
        if x.ndim != 4 or x.shape[1] != n_bands:
            raise DataError(
                f"expected (B, {n_bands}, H, W) raw chips with bands {self.card['data_bands']}, "
                f"got shape {x.shape}"
            )
        # where the network is: predict_file(device="cuda") moves it there
        weight = next(self.net.parameters(), None)
        z = torch.from_numpy((x - self.mean) / self.std)
        with torch.inference_mode():
            out = self.net(z if weight is None else z.to(weight.device)).cpu()
        if self.kind == "multilabel":
            return (torch.sigmoid(out) > 0.5).numpy().astype(np.int64)
        return out.argmax(1).numpy().astype(np.int64)

    def predict_file(
        self,
        input: Path,
        output: Path,
        gpkg: Path | None = None,
        probabilities: Path | None = None,
        window: int | None = None,
        stride: int | None = None,
        batch: int = 16,
        blend: str = "gaussian",
        tta: bool | None = None,
        scales: tuple[float, ...] = (1.0,),
        device: str = "cpu",
        vectorize: list[int] | None = None,
    ) -> dict[str, Any]:
        """GeoTIFF/COG scene → class-map COG in the scene's CRS (streaming windows of the chip
        size by default) and optionally class polygons as a GeoPackage. ``tta=None`` follows
        the card (the run's ``model_kwargs`` ``tta``)."""
        from geoarena.eo.inference import PredictConfig, predict_scene, vectorize_classes

        if self.kind == "multilabel":
            raise DataError("multi-label models give no class map; use predict() on chips")
        size = int(window or self.card["chip_size"])
        cfg = PredictConfig(
            window=size,
            stride=int(stride or max(1, size * 3 // 4)),
            batch_size=batch,
            blend=blend,
            tta=bool(self.card.get("tta", False)) if tta is None else tta,
            scales=tuple(scales),
            mean=tuple(self.card["mean"]),
            std=tuple(self.card["std"]),
            num_classes=int(self.card["num_classes"]),
            device=device,
        )
        summary = predict_scene(
            self.scene_model.to(device), input, output, cfg, prob_path=probabilities
        )
        if gpkg is not None:
            keep = vectorize if vectorize is not None else list(range(1, cfg.num_classes))
            summary["polygons"] = vectorize_classes(output, gpkg, keep, self.card["class_names"])
        return summary


def load_eo_predictor(files: dict[str, str], card: dict[str, Any]) -> EOPredictor:
    return EOPredictor(files, card)
