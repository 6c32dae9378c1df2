"""``EOTorchAdapter``: the one ModelAdapter for every torch EO backbone (timm, Prithvi, SatMAE,
wavelength-conditioned ViT) on scene classification, multi-label classification, semantic
segmentation and pixel regression (one-channel decoder, MSE), trained with core's ``TorchFitLoop``.

``build`` reads the data's band names, checks them against the model card, creates the encoder
for exactly those bands (adapting pretrained input filters by band name when a local checkpoint
is given), adds the head/decoder and applies the evaluation protocol (frozen, linear probe,
partial last-N, LoRA).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from geoarena.core.errors import ConfigError
from geoarena.core.model import EpochCallback, FitResult, ModelAdapter, ModelCard
from geoarena.core.protocol import EvalProtocol
from geoarena.eo.bands import resolve_bands
from geoarena.eo.data.info import RasterInfo, raster_info
from geoarena.eo.models.decoder_transfer import load_pretrained_unet_decoder
from geoarena.eo.models.encoders import Encoder
from geoarena.eo.models.heads import ClassifierModel, SegmenterModel
from geoarena.eo.models.lora import apply_protocol

if TYPE_CHECKING:
    from geoarena.core.config import RunConfig, TrainConfig
    from geoarena.core.task import DataModule, Task

log = logging.getLogger(__name__)

SUPPORTED_KINDS = ("cls", "multilabel", "seg", "regression")
#: batch keys forwarded to temporal / metadata-aware encoders (terratorch's names).
META_KEYS = ("temporal_coords", "location_coords", "wavelengths", "gsd")

#: test-time augmentations ``EOModelConfig.tta`` accepts
TTA_MODES = ("none", "d4")

#: ``(in_chans, img_size, band_names, arch_kwargs) -> Encoder``
EncoderFactory = Callable[[int, int | None, tuple[str, ...], dict[str, Any]], Encoder]


@dataclass
class EOModelConfig:
    """What a registered EO model is made of; ``model_kwargs`` override the fields by name.

    Attributes:
        weights: local checkpoint path (``None``: random init). Never downloaded.
        weights_bands: bands the checkpoint was trained on (the card's ``bands``).
        weights_unit: input unit the checkpoint expects (``""``: not stated).
        allow_unit_mismatch: explicit override to use a checkpoint on data of another unit.
        decoder: segmentation decoder (``unet``, ``fpn``, ``upernet``, ``segformer``, ``linear``).
        neck: ``auto`` (feature pyramid neck for single-scale ViTs), ``sfp`` or ``none``.
        arch: extra architecture keywords (tiny test configs: depth, embed_dim…).
        img_size: input size for position embeddings (``0``: the data's ``chip_size``).
        dropout: dropout before the classification layer.
        probe_norm: with a frozen backbone and a linear head (``linear_probe``) on a
            classification task, standardise the pooled features with a parameter-free
            BatchNorm before the linear layer (``ProbeNorm``; the MAE paper's probing recipe).
        input_skip: segmentation: width of a full-resolution level of convolutions on the input
            itself, fed to the decoder as its finest skip (``0``: none; ``SegmenterModel``).
        tta: test-time augmentation of every prediction, validation included: ``none`` or
            ``d4`` (mean class probabilities over the 8 flips and 90° rotations, mapped back).
        encoder_lr_mult: the encoder's learning rate as a multiple of ``train.lr`` (``1.0``:
            one rate). Fine-tuning a pretrained encoder at a fraction of the randomly
            initialised decoder's rate keeps its features (mmsegmentation's backbone
            ``lr_mult``; ``TorchFitLoop.lr_mult``).
        ema: > 0: validate and keep an exponential moving average of the weights with this
            decay (timm / ultralytics model EMA; ``TorchFitLoop.ema_decay``).
        decoder_weights: segmentation: take the U-Net decoder from ``weights`` too (a whole
            smp U-Net checkpoint; ``geoarena.eo.models.decoder_transfer``).
        calibrate: two-class tasks: ``val`` moves the decision threshold after training to the
            one that maximises the monitored metric on the validation split
            (``geoarena.eo.models.calibration``); ``none`` keeps the argmax.
    """

    weights: str | None = None
    weights_bands: tuple[str, ...] = ("red", "green", "blue")
    weights_unit: str = ""
    weights_mean: tuple[float, ...] = ()
    weights_std: tuple[float, ...] = ()
    allow_unit_mismatch: bool = False
    decoder: str = "unet"
    neck: str = "auto"
    arch: dict[str, Any] = field(default_factory=dict)
    img_size: int = 0
    dropout: float = 0.0
    lora_alpha: float = 0.0
    probe_norm: bool = True
    input_skip: int = 0
    tta: str = "none"
    calibrate: str = "none"
    encoder_lr_mult: float = 1.0
    decoder_weights: bool = False
    ema: float = 0.0

    @classmethod
    def from_kwargs(cls, base: EOModelConfig, kwargs: dict[str, Any]) -> EOModelConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ConfigError(f"unknown model_kwargs {unknown}; valid: {sorted(names)}")
        merged = dataclasses.replace(base, **kwargs)
        merged.weights_bands = tuple(merged.weights_bands)
        merged.arch = {**base.arch, **dict(kwargs.get("arch", {}))}
        if merged.tta not in TTA_MODES:
            raise ConfigError(f"model_kwargs tta={merged.tta!r}: choose one of {TTA_MODES}")
        if merged.calibrate not in ("none", "val"):
            raise ConfigError(f"model_kwargs calibrate={merged.calibrate!r}: choose none or val")
        if not 0.0 <= merged.ema < 1.0:
            raise ConfigError(f"model_kwargs ema={merged.ema}: a decay in [0, 1) (0: no EMA)")
        if not merged.encoder_lr_mult > 0:
            raise ConfigError(f"model_kwargs encoder_lr_mult={merged.encoder_lr_mult}: must be > 0")
        if merged.input_skip < 0:
            raise ConfigError(f"model_kwargs input_skip={merged.input_skip}: must be ≥ 0")
        return merged


class BatchModel(nn.Module):
    """Takes a batch dict (what ``TorchFitLoop`` hands over) and calls the task model with the
    image and any metadata (acquisition dates, location, wavelengths).

    ``train()`` keeps BatchNorm layers whose parameters are all frozen in eval mode, so a frozen
    backbone's running statistics do not drift during training either.
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        meta = {k: batch[k] for k in META_KEYS if k in batch}
        return self.net(batch["image"], meta or None)

    def train(self, mode: bool = True) -> BatchModel:
        super().train(mode)
        if mode:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    params = list(m.parameters(recurse=False))
                    if params and not any(p.requires_grad for p in params):
                        m.eval()
        return self


class EOTorchAdapter(ModelAdapter):
    """ModelAdapter over an ``Encoder`` factory; see the module docstring."""

    def __init__(
        self,
        name: str,
        backbone: str,
        encoder_factory: EncoderFactory,
        config: EOModelConfig,
        kinds: tuple[str, ...] = SUPPORTED_KINDS,
    ):
        self.name = name
        self.backbone = backbone
        self.encoder_factory = encoder_factory
        self.config = config
        self.kinds = kinds
        self.card = ModelCard(
            name=name, backbone=backbone, decoder="", weights=config.weights or "random"
        )
        self.model: BatchModel | None = None
        self.load_report: dict[str, list[str]] = {}
        self._device_request = "auto"

    # -- build ---------------------------------------------------------------------------
    def build(self, task: Task, protocol: EvalProtocol, cfg: RunConfig, data: DataModule) -> None:
        if task.kind not in self.kinds:
            raise ConfigError(
                f"model {self.name} does not do {task.kind!r} tasks (only {', '.join(self.kinds)})"
            )
        c = self.config
        info = raster_info(data, self.name)
        bands = info.band_names
        if not bands:
            raise ConfigError(f"task {task.name}: its data names no bands (data.info.band_names)")
        resolve_bands(bands)  # unknown names raise ConfigError naming them
        self._check_units(info)
        img_size = c.img_size or info.chip_size or None
        encoder = self.encoder_factory(len(bands), img_size, bands, dict(c.arch))
        if c.weights:
            self.load_report = encoder.load_pretrained(c.weights, c.weights_bands, bands)  # type: ignore[attr-defined]
            if self.load_report.get("missing"):
                raise ConfigError(
                    f"{c.weights}: checkpoint lacks encoder weights {self.load_report['missing'][:10]}"
                )
            log.info(
                "%s: loaded %s (%s)",
                self.name,
                c.weights,
                "; ".join(self.load_report.get("band_mapping", [])),
            )
        decoder = "linear" if protocol.head == "linear" else c.decoder
        if task.kind in ("seg", "regression"):
            # pixel regression: the segmentation decoder with one output channel
            n_out = 1 if task.kind == "regression" else task.num_classes
            net: nn.Module = SegmenterModel(
                encoder,
                n_out,
                decoder=decoder,
                neck=c.neck,
                input_skip=c.input_skip,
                in_chans=len(bands),
            )
        else:
            probe = protocol.head == "linear" and protocol.freeze == "backbone"
            net = ClassifierModel(
                encoder,
                task.num_classes,
                dropout=c.dropout,
                norm=c.probe_norm and probe and protocol.lora_rank == 0,
            )
            decoder = "linear"
        if c.decoder_weights:
            self.load_report.update(load_pretrained_unet_decoder(net, c.weights))
        apply_protocol(encoder, protocol, lora_alpha=c.lora_alpha or None)
        self.model = BatchModel(net)
        self.task = task
        self.data_info = info  # bands, units, normalisation for export()
        self.protocol = protocol
        self.device = "cpu"
        self._device_request = cfg.device
        self.card = ModelCard(
            name=self.name,
            backbone=self.backbone,
            decoder=decoder if task.kind in ("seg", "regression") else "linear",
            bands=tuple(c.weights_bands) if c.weights else bands,
            mean=tuple(c.weights_mean),
            std=tuple(c.weights_std),
            input_unit=c.weights_unit,
            weights=c.weights or "random",
            extra={
                "band_mapping": self.load_report.get("band_mapping", []),
                "unexpected_keys": self.load_report.get("unexpected", []),
                "decoder_weights": c.weights if c.decoder_weights else "random",
                "trainable_params": sum(p.numel() for p in net.parameters() if p.requires_grad),
            },
        )

    def _check_units(self, info: RasterInfo) -> None:
        c = self.config
        unit = info.input_unit
        if (
            c.weights
            and c.weights_unit
            and unit
            and unit != c.weights_unit
            and not c.allow_unit_mismatch
        ):
            raise ConfigError(
                f"checkpoint {c.weights} expects input unit {c.weights_unit!r} but the data is "
                f"{unit!r}; convert the data or pass model_kwargs.allow_unit_mismatch=True"
            )

    # -- training ------------------------------------------------------------------------
    def loss(self, out: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        kind = self.task.kind
        if kind == "seg":
            ignore = self.ignore_index
            return F.cross_entropy(
                out, batch["mask"].long(), ignore_index=ignore if ignore is not None else -100
            )
        if kind == "multilabel":
            return F.binary_cross_entropy_with_logits(out, batch["label"].float())
        if kind == "regression":
            # mean squared error over the valid pixels (all pixels without a ``valid`` mask)
            pred, target = out[:, 0], batch["mask"].float()
            valid = batch.get("valid")
            valid = (
                torch.isfinite(target) if valid is None else valid.bool() & torch.isfinite(target)
            )
            return F.mse_loss(pred[valid], target[valid])
        return F.cross_entropy(out, batch["label"].long())

    def training_loss(self, data: DataModule, train: TrainConfig) -> Callable[..., torch.Tensor]:
        """``train.loss``: ``auto`` is :meth:`loss`; the others (class-weighted CE, Dice, focal and
        their sums, ``geoarena.train.losses``) apply to class and pixel-class targets."""
        if train.loss == "auto":
            return self.loss
        from geoarena.train.losses import build_loss, class_weights

        kind = self.task.kind
        if kind not in ("cls", "seg"):
            raise ConfigError(f"train.loss={train.loss!r} applies to cls/seg tasks, not {kind!r}")
        key = "mask" if kind == "seg" else "label"
        weights = None
        if "weighted_ce" in train.loss.split("+"):
            weights = class_weights(self._class_counts(data, key, train.batch_size))
        fn = build_loss(train.loss, self.ignore_index, weights)
        return lambda out, batch: fn(out, batch[key])

    def _class_counts(self, data: DataModule, key: str, batch_size: int) -> list[float]:
        """Label counts of the training split (ignored pixels left out)."""
        counts = torch.zeros(self.task.num_classes, dtype=torch.float64)
        for batch in data.loader("train", batch_size, shuffle=False):
            t = batch[key].reshape(-1).long()
            t = t[(t >= 0) & (t < self.task.num_classes)]
            counts += torch.bincount(t, minlength=self.task.num_classes).double()
        return counts.tolist()

    def fit(self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback) -> FitResult:
        from geoarena.core.evaluation import evaluate_split
        from geoarena.train.fit_loop import TorchFitLoop

        model = self._require_model()
        self.ignore_index = raster_info(data, self.name).ignore_index
        metric = self.task.metrics()
        loop = TorchFitLoop(
            model=model,
            loss_fn=self.training_loss(data, train),
            evaluate=lambda: evaluate_split(self.predict, data, "val", metric, train.batch_size),
            monitor=f"val/{self.task.metric}",
            direction=self.task.direction,
            inputs=lambda batch: batch,
            device=self._device_request,
            # BatchModel.net's encoder is `encoder` (SegmenterModel and ClassifierModel alike)
            lr_mult={"net.encoder.": self.config.encoder_lr_mult},
            ema_decay=self.config.ema,
        )
        self.device = loop.device
        result = loop.fit(data, train, on_epoch)
        if self.config.calibrate == "val":
            from geoarena.core.evaluation import evaluate_split
            from geoarena.eo.models.calibration import calibrate_on_val

            chosen = calibrate_on_val(
                self.predict,
                model.net,
                data,
                metric,
                self.task.metric,
                self.task.direction,
                train.batch_size,
            )
            result.extra.setdefault("metrics", {}).update(chosen)
            # the run's val figures are the folded network's (where the threshold was chosen)
            result.best_val.update(
                evaluate_split(self.predict, data, "val", metric, train.batch_size)
            )
        return result

    @torch.no_grad()
    def predict(self, batch: dict[str, Any]) -> torch.Tensor:
        from geoarena.train.fit_loop import move_to

        model = self._require_model()
        model.eval()
        batch = move_to(batch, self.device)
        kind = self.task.kind
        if self.config.tta == "d4":
            from geoarena.eo.inference.blending import d4_predict

            probs = kind in ("seg", "cls")
            out = d4_predict(
                lambda image: model({**batch, "image": image}).float(),
                batch["image"],
                softmax=probs,
                spatial=kind in ("seg", "regression"),
            )
            # log of the mean probabilities: what callers take for logits keeps its argmax
            # and its softmax is the mean itself
            out = out.clamp_min(1e-12).log() if probs else out
        else:
            out = model(batch).float()
        if kind == "multilabel":
            out = torch.sigmoid(out)
        if self.task.kind == "regression":
            out = out[:, 0]
        return out.cpu()

    throughput_unit = "chip"

    def export(self, out_dir: str):
        """TorchScript + ONNX + ModelCard for serving (``geoarena.eo.models.export``)."""
        from geoarena.eo.models.export import export_eo_model

        return export_eo_model(self, out_dir)

    def _require_model(self) -> BatchModel:
        if self.model is None:
            raise RuntimeError(f"{self.name}: call build() first")
        return self.model

    ignore_index: int | None = None
