"""Faster R-CNN (detection) and Mask R-CNN (instance segmentation) on GeoArena's EO encoders —
the decoders GEO-Bench-2's leaderboard lists for its detection tasks (``faster-rcnn``,
``mask-rcnn``).

The encoder is the registered EO backbone's own (``eo/resnet18`` → its ``TimmEncoder``,
``eo/prithvi-tiny`` → its Prithvi encoder, built for the data's bands, so band adaptation by name applies as for every other task); its multi-scale
features go through a torchvision feature pyramid into torchvision's R-CNN heads. Images reach
the model already z-scored, so the R-CNN transform only resizes (mean 0, std 1). Time series
``(T, C, H, W)`` are averaged over time before the encoder (R-CNN heads take one image).

Predictions are per image ``{"boxes" xyxy, "scores", "labels"}`` (+ ``"masks"`` ``(N, H, W)``
bool), labels 0-based like the targets (torchvision's class 0 is background).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import torch
from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.core.model import EpochCallback, FitResult, ModelAdapter, ModelCard
from geoarena.core.protocol import EvalProtocol, freeze_module


class EncoderFPN(nn.Module):
    """An ``Encoder``'s feature levels (stride ≥ 4) through a torchvision FPN."""

    def __init__(self, encoder: nn.Module, out_channels: int = 64):
        from torchvision.ops import FeaturePyramidNetwork
        from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

        super().__init__()
        self.encoder = encoder
        red = list(encoder.reductions)
        self.levels = [i for i, r in enumerate(red) if r >= 4] or list(range(len(red)))
        self.fpn = FeaturePyramidNetwork(
            [encoder.channels[i] for i in self.levels], out_channels, LastLevelMaxPool()
        )
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        feats = self.encoder.forward_features(x)
        return self.fpn(OrderedDict((str(j), feats[i]) for j, i in enumerate(self.levels)))


def build_rcnn(encoder: nn.Module, num_classes: int, masks: bool, size: int) -> nn.Module:
    """torchvision Faster/Mask R-CNN around ``encoder`` for ``size``-pixel square inputs."""
    from torchvision.models.detection import FasterRCNN, MaskRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.ops import MultiScaleRoIAlign

    backbone = EncoderFPN(encoder)
    n_maps = len(backbone.levels) + 1  # + the max-pooled level
    names = [str(i) for i in range(n_maps - 1)]
    anchors = AnchorGenerator(
        sizes=tuple((8 * 2**i,) for i in range(n_maps)), aspect_ratios=((0.5, 1.0, 2.0),) * n_maps
    )
    in_chans = int(getattr(encoder, "in_chans", 0) or 0)
    kw: dict[str, Any] = {
        "num_classes": num_classes + 1,
        "rpn_anchor_generator": anchors,
        "box_roi_pool": MultiScaleRoIAlign(names, 7, 2),
        # inputs are z-scored already: the transform only resizes
        "min_size": size,
        "max_size": size,
        "image_mean": [0.0] * in_chans,
        "image_std": [1.0] * in_chans,
        "box_detections_per_img": 100,
    }
    if masks:
        return MaskRCNN(backbone, mask_roi_pool=MultiScaleRoIAlign(names, 14, 2), **kw)
    return FasterRCNN(backbone, **kw)


class RCNNAdapter(ModelAdapter):
    """A registered EO backbone with an R-CNN head for ``det`` and ``instance_seg`` tasks."""

    def __init__(self, name: str, base_model: str, **model_kwargs: Any):
        self.name = name
        self.base_model = base_model
        self.model_kwargs = model_kwargs
        self.card = ModelCard(name=name, backbone=base_model, decoder="", weights="random")
        self.model: nn.Module | None = None
        self.device = "cpu"

    def build(self, task, protocol: EvalProtocol, cfg, data) -> None:
        from geoarena.core.registry import MODELS
        from geoarena.eo.bands import resolve_bands

        if task.kind not in ("det", "instance_seg"):
            raise ConfigError(f"{self.name} does det and instance_seg tasks, not {task.kind!r}")
        # the registered EO model's own encoder factory and config (timm, Prithvi, …)
        base = MODELS.get(self.base_model)(**self.model_kwargs)
        if not hasattr(base, "encoder_factory"):
            raise ConfigError(f"{self.base_model} is not an EO encoder model; R-CNN needs one")
        # GEO-Bench-2 rasters (RasterInfo) or the det leaf's chips (its DetectionInfo, a type
        # this leaf may not import): both name their bands; only rasters know their chip size
        info = data.info
        bands = tuple(getattr(info, "band_names", ()) or ())
        if not bands:
            raise ConfigError(f"task {task.name}: its data names no bands (data.info.band_names)")
        resolve_bands(bands)
        size = max(64, int(getattr(info, "chip_size", 0) or 64))
        encoder = base.encoder_factory(len(bands), None, bands, dict(base.config.arch))
        if base.config.weights:
            encoder.load_pretrained(base.config.weights, base.config.weights_bands, bands)
        encoder.in_chans = len(bands)
        freeze_module(encoder, protocol, encoder.stages())
        masks = task.kind == "instance_seg"
        self.model = build_rcnn(encoder, task.num_classes, masks, size)
        self.task = task
        self._device_request = cfg.device
        self.card = ModelCard(
            name=self.name,
            backbone=base.backbone,
            decoder="mask-rcnn" if masks else "faster-rcnn",
            bands=bands,
            weights=base.config.weights or "random",
            extra={
                "trainable_params": sum(
                    p.numel() for p in self.model.parameters() if p.requires_grad
                )
            },
        )

    @staticmethod
    def _images(batch: dict[str, Any], device: Any = None) -> list[torch.Tensor]:
        """The batch's images as ``(C, H, W)`` float tensors on ``device`` (default: where
        they are)."""
        x = batch["image"]
        if isinstance(x, list | tuple):  # detection chips: (H, W, 3) uint8, per-image z-score
            out = []
            for im in x:
                t = _as_tensor(im, torch.float32, device).permute(2, 0, 1)
                mean, std = t.mean(dim=(1, 2), keepdim=True), t.std(dim=(1, 2), keepdim=True)
                out.append((t - mean) / std.clamp_min(1e-6))
            return out
        if x.ndim == 5:
            x = x.mean(dim=1)
        return list(x if device is None else x.to(device))

    def _targets(self, batch: dict[str, Any], device: Any = None) -> list[dict[str, torch.Tensor]]:
        """torchvision's targets on ``device`` (the images'), whether the batch holds arrays or
        tensors (on the GPU, after the loop moved the batch)."""
        out = []
        for i, boxes in enumerate(batch["boxes"]):
            b = _as_tensor(boxes, torch.float32, device).reshape(-1, 4)
            # torchvision needs positive-area boxes; a one-pixel instance spans one pixel
            b = torch.cat([b[:, :2], torch.maximum(b[:, 2:], b[:, :2] + 1)], dim=1)
            t = {"boxes": b, "labels": _as_tensor(batch["labels"][i], torch.int64, device) + 1}
            if "instance_masks" in batch:
                t["masks"] = _as_tensor(batch["instance_masks"][i], torch.uint8, device)
            out.append(t)
        return out

    def fit(self, data, train, on_epoch: EpochCallback) -> FitResult:
        from geoarena.core.evaluation import evaluate_split
        from geoarena.train.fit_loop import TorchFitLoop

        model = self._require()
        metric = self.task.metrics()
        adapter = self

        class _Train(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = model

            def forward(self, batch):
                device = next(self.net.parameters()).device
                images = adapter._images(batch, device)
                if self.training:
                    return self.net(images, adapter._targets(batch, device))
                return self.net(images)

        loop = TorchFitLoop(
            model=_Train(),
            loss_fn=lambda out, batch: sum(out.values()),
            evaluate=lambda: evaluate_split(self.predict, data, "val", metric, train.batch_size),
            monitor=f"val/{self.task.metric}",
            direction=self.task.direction,
            inputs=lambda batch: batch,
            device=self._device_request,
        )
        self.device = loop.device
        return loop.fit(data, train, on_epoch)

    @torch.no_grad()
    def predict(self, batch: dict[str, Any]) -> list[dict[str, torch.Tensor]]:
        from geoarena.train.fit_loop import move_to

        model = self._require()
        model.eval()
        outs = model(self._images(move_to(batch, self.device), self.device))
        preds = []
        for o in outs:
            p = {
                "boxes": o["boxes"].cpu(),
                "scores": o["scores"].cpu(),
                "labels": o["labels"].cpu() - 1,
            }
            if "masks" in o:
                p["masks"] = (o["masks"][:, 0] > 0.5).cpu()
            preds.append(p)
        return preds

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self._require().parameters())

    def _require(self) -> nn.Module:
        if self.model is None:
            raise RuntimeError(f"{self.name}: call build() first")
        return self.model


def _as_tensor(x: Any, dtype: torch.dtype, device: Any = None) -> torch.Tensor:
    """``x`` (a tensor on any device, an array, a list) as a ``dtype`` tensor on ``device``
    (default: the tensor's own, the host for the rest); numpy never reads a GPU tensor. An
    array is copied: the readers hand out read-only views of their files."""
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=dtype)
    return torch.tensor(np.asarray(x), dtype=dtype, device=device)
