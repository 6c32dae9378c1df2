"""Ultralytics YOLO as a harness ``ModelAdapter`` (horizontal and oriented boxes).

The adapter owns its training loop: ``fit`` writes the task's chips as a YOLO dataset folder,
trains with ultralytics (validation every epoch reported through ``on_epoch``, early stopping
by ultralytics' ``patience``, best checkpoint restored for prediction) and ``predict`` turns
ultralytics results into the ``{"boxes", "scores", "labels"}`` dicts ``DetectionMetric`` takes.

Models come from ultralytics' yaml files (``yolov8`` / ``yolov8-p2`` / ``yolo11`` at size
``n``/``s``/``m``; the ``-obb`` head for ``obb`` tasks) trained from scratch, or from a local
weights file (``weights=/path/best.pt``). Nothing is downloaded: see ``yolo_offline``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoarena.core.config import RunConfig, TrainConfig
from geoarena.core.errors import ConfigError, DataError
from geoarena.core.model import EpochCallback, FitResult, ModelAdapter, ModelCard
from geoarena.core.protocol import EvalProtocol
from geoarena.core.task import DataModule, Task
from geoarena.det.ultralytics_results import results_to_dict
from geoarena.det.yolo_offline import ensure_offline

ARCHS = ("yolov8", "yolov8-p2", "yolo11")
SIZES = ("n", "s", "m", "l", "x")
_OPTIMIZERS = {"adamw": "AdamW", "sgd": "SGD", "adam": "Adam"}


@dataclass
class YoloOptions:
    """Model and augmentation settings (model kwargs of ``det/yolo*`` models).

    Attributes:
        arch, size: ultralytics yaml family and scale (``yolov8`` + ``n`` → ``yolov8n.yaml``).
        weights: local ``.pt`` file to start from instead of random init ("" = from scratch).
        flipud, fliplr, rot90: aerial augmentations (probabilities); on by default.
        mosaic, scale, degrees, hsv_v, close_mosaic: ultralytics augmentation hyperparameters.
        conf, iou, max_det: prediction thresholds (conf low so AP sees the whole PR curve).
        time_budget_min: stop training after this many minutes (0: epochs only).
        imgsz: training and prediction image size (0: the task's, from its data).
        extra: further ``model.train`` arguments passed through verbatim.
    """

    arch: str = "yolov8"
    size: str = "n"
    weights: str = ""
    flipud: float = 0.5
    fliplr: float = 0.5
    rot90: float = 0.5
    mosaic: float = 1.0
    scale: float = 0.5
    degrees: float = 0.0
    hsv_v: float = 0.4
    close_mosaic: int = 5
    conf: float = 0.001
    iou: float = 0.6
    max_det: int = 300
    time_budget_min: float = 0.0
    imgsz: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class YoloAdapter(ModelAdapter):
    """See module docstring. ``model_kwargs`` are ``YoloOptions`` fields."""

    def __init__(self, **kwargs: Any):
        unknown = set(kwargs) - set(YoloOptions.__dataclass_fields__)
        if unknown:
            raise ConfigError(
                f"unknown YOLO option(s) {sorted(unknown)}; valid: {sorted(YoloOptions.__dataclass_fields__)}"
            )
        self.opts = YoloOptions(**kwargs)
        if self.opts.arch not in ARCHS:
            raise ConfigError(f"arch {self.opts.arch!r} not in {ARCHS}")
        if self.opts.size not in SIZES:
            raise ConfigError(f"size {self.opts.size!r} not in {SIZES}")
        if self.opts.weights and not Path(self.opts.weights).is_file():
            raise ConfigError(
                f"weights file {self.opts.weights!r} not found; YOLO weights are never downloaded here — "
                "put a local .pt (e.g. a checkpoint from an earlier run's adapter/best.pt) at that path, "
                "or leave weights empty to train from the yaml"
            )
        self.card = ModelCard(
            name=f"{self.opts.arch}{self.opts.size}",
            backbone=f"{self.opts.arch}{self.opts.size}",
            decoder="yolo-head",
            input_unit="uint8",
            weights=self.opts.weights or "random",
        )
        self.model: Any = None
        self.history: list[dict[str, float]] = []
        self.workdir: Path | None = None
        self._eval_cache: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    # -- build ---------------------------------------------------------------------------------
    def build(self, task: Task, protocol: EvalProtocol, cfg: RunConfig, data: DataModule) -> None:
        if task.kind not in ("det", "obb"):
            raise ConfigError(
                f"YOLO adapter handles det/obb tasks, not {task.kind!r} ({task.name})"
            )
        if protocol.freeze != "none" or protocol.lora_rank:
            raise ConfigError(
                f"protocol {protocol.name!r} is not supported by YOLO (only finetune)"
            )
        # det chips carry a DetectionInfo; another leaf's detection data (GEO-Bench-2 rasters,
        # a RasterInfo) is read by the fields both declare, since a leaf never imports another
        info = data.info
        in_chans = getattr(info, "in_chans", 3)
        if in_chans != 3:
            raise DataError(f"YOLO expects 3-band 8-bit input, task {task.name} has {in_chans}")
        self.task, self.cfg = task, cfg
        self.obb = task.kind == "obb"
        self.class_names = tuple(task.class_names)
        self.imgsz = int(self.opts.imgsz or getattr(info, "imgsz", 0) or 640)
        self.device = _device(cfg.device)
        cache = Path(cfg.cache_dir) if cfg.cache_dir else None
        ensure_offline(cache / "yolo_config" if cache else None)
        from ultralytics import YOLO

        if self.opts.weights:  # a user's file: scanned, then loaded without running its pickle
            from geoarena.det.safe_load import load_yolo

            self.model = load_yolo(
                self.opts.weights, task="obb" if self.obb else "detect", what="weights="
            )
        else:
            self.model = YOLO(self.yaml_name(), task="obb" if self.obb else "detect")
        self.card = ModelCard(
            **{
                **asdict(self.card),
                "name": cfg.model,
                "extra": {"yaml": self.yaml_name(), "imgsz": self.imgsz},
            }
        )

    def yaml_name(self) -> str:
        """ultralytics model yaml, e.g. ``yolov8n.yaml``, ``yolov8s-p2.yaml``, ``yolo11n-obb.yaml``."""
        arch, suffix = ([*self.opts.arch.split("-", 1), ""])[:2]
        parts = [f"{arch}{self.opts.size}"]
        if suffix:
            parts.append(suffix)
        if getattr(self, "obb", False):
            parts.append("obb")
        return "-".join(parts) + ".yaml"

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, data: DataModule, train: TrainConfig, on_epoch: EpochCallback) -> FitResult:
        from geoarena.det.batches import chips_of
        from geoarena.det.yolo_augment import with_rot90
        from geoarena.det.yolo_dataset import write_yolo_dataset

        chips = {s: chips_of(data, s) for s in ("train", "val")}
        self.workdir = Path(tempfile.mkdtemp(prefix="geoarena-yolo-"))
        yaml_path = write_yolo_dataset(
            self.workdir / "dataset", chips, self.class_names, "obb" if self.obb else "hbb"
        )
        if self.obb:
            from ultralytics.models.yolo.obb import OBBTrainer as Base
        else:
            from ultralytics.models.yolo.detect import DetectionTrainer as Base
        trainer_cls = with_rot90(Base, self.opts.rot90)
        n_train = len(chips["train"])
        args = self._train_args(train, yaml_path, n_train)
        result = FitResult()

        def report(trainer: Any) -> None:
            epoch = int(trainer.epoch)
            if epoch >= int(trainer.epochs) or (
                self.history and self.history[-1]["epoch"] >= epoch
            ):
                return  # ultralytics fires the hook once more after the last epoch
            m = {
                f"train/{k.split('/', 1)[-1]}": float(v)
                for k, v in trainer.label_loss_items(trainer.tloss, prefix="train").items()
            }
            m["train/loss"] = float(sum(v for k, v in m.items()))
            for key, value in (trainer.metrics or {}).items():
                if key.startswith("metrics/mAP50-95"):
                    m["val/map"] = float(value)
                elif key.startswith("metrics/mAP50"):
                    m["val/ap50"] = float(value)
            m["time/epoch_s"] = float(getattr(trainer, "epoch_time", 0.0) or 0.0)
            self.history.append({"epoch": epoch, **m})
            if m.get("val/ap50", -1) > result.best_val.get("val/ap50", -1):
                result.best_epoch, result.best_val = (
                    epoch,
                    {k: v for k, v in m.items() if k.startswith("val/")},
                )
            result.epochs_run = epoch + 1
            on_epoch(epoch, m)  # may raise Pruned: propagates out of model.train

        self.model.add_callback("on_fit_epoch_end", report)
        t0 = time.perf_counter()
        self.model.train(trainer=trainer_cls, **args)
        best = Path(self.model.trainer.best)
        if best.is_file():
            from ultralytics import YOLO

            self.model = YOLO(str(best), task="obb" if self.obb else "detect")
            self._direct = None
        result.extra = {
            "fit_s": time.perf_counter() - t0,
            "best_checkpoint": str(best),
            "train_args": {k: v for k, v in args.items() if k != "trainer"},
        }
        return result

    def _train_args(self, train: TrainConfig, yaml_path: Path, n_train: int) -> dict[str, Any]:
        o = self.opts
        fraction = 1.0
        if train.max_steps_per_epoch > 0 and n_train > 0:
            fraction = min(1.0, train.max_steps_per_epoch * train.batch_size / n_train)
        args: dict[str, Any] = {
            "data": str(yaml_path),
            "epochs": train.epochs,
            "imgsz": self.imgsz,
            "batch": train.batch_size,
            "device": self.device,
            "workers": train.num_workers,
            "project": str(self.workdir),
            "name": "train",
            "exist_ok": True,
            "seed": int(self.cfg.seed),
            "deterministic": True,
            "verbose": False,
            "plots": False,
            "amp": _amp(train.amp, self.device),
            "optimizer": _OPTIMIZERS[train.optimizer],
            "lr0": train.lr,
            "weight_decay": train.weight_decay,
            "cos_lr": train.scheduler == "cosine",
            "warmup_epochs": train.warmup_epochs,
            "patience": train.early_stop_patience if train.early_stop_patience > 0 else 10_000,
            "flipud": o.flipud,
            "fliplr": o.fliplr,
            "mosaic": o.mosaic,
            "scale": o.scale,
            "degrees": o.degrees,
            "hsv_v": o.hsv_v,
            "close_mosaic": o.close_mosaic,
            "fraction": fraction,
            "max_det": o.max_det,
            "val": True,
            "save": True,
            "pretrained": bool(o.weights),
        }
        if train.scheduler == "none":
            args["lrf"] = 1.0
        if o.time_budget_min > 0:
            args["time"] = o.time_budget_min / 60.0
        args.update(o.extra)
        return args

    # -- predict -------------------------------------------------------------------------------
    def predict(self, batch: dict[str, Any]) -> list[dict[str, np.ndarray]]:
        if self.model is None:
            raise RuntimeError("build() the adapter before predict()")
        from geoarena.det.batches import as_rgb_uint8

        preds = self.predict_images(as_rgb_uint8(batch["image"]))
        if "boxes" in batch:
            self._eval_cache.append(
                ({k: batch[k] for k in ("boxes", "labels", "iscrowd") if k in batch}, preds)
            )
        return preds

    def predict_images(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """RGB uint8 images → per-image ``{"boxes", "scores", "labels"}`` (xyxy or corners)."""
        o = self.opts
        if not self.obb:
            # horizontal boxes: our batched forward + ultralytics NMS without its time limit, which
            # on a busy CPU silently drops detections at conf 0.001 (same arithmetic otherwise)
            if getattr(self, "_direct", None) is None:
                from geoarena.det.slicer import SliceConfig, SlicedDetector

                cfg = SliceConfig(imgsz=self.imgsz, conf=o.conf, iou=o.iou, max_det=o.max_det)
                self._direct = SlicedDetector(self.model, cfg, device=_torch_device(self.device))
            return [
                {"boxes": b, "scores": s, "labels": lab}
                for b, s, lab in self._direct._forward(list(images), [(0, 0)] * len(images))
            ]
        bgr = [np.ascontiguousarray(im[..., ::-1]) for im in images]  # ultralytics reads BGR
        results = self.model.predict(
            bgr,
            imgsz=self.imgsz,
            conf=o.conf,
            iou=o.iou,
            max_det=o.max_det,
            device=self.device,
            verbose=False,
        )
        return [results_to_dict(r, self.obb) for r in results]

    # -- artifacts -----------------------------------------------------------------------------
    def log_artifacts(self, out_dir: str) -> list[str]:
        """Learning curve and PR curve (from the test predictions seen by ``predict``), the
        per-epoch history as JSON and the best checkpoint."""
        from geoarena.det.coco_metric import DetectionMetric
        from geoarena.det.plots import learning_curve_figure, pr_curve_figure

        out, paths = Path(out_dir), []
        if self.history:
            (out / "history.json").write_text(json.dumps(self.history, indent=1))
            fig = learning_curve_figure(self.history, f"{self.card.name} on {self.task.name}")
            fig.savefig(out / "learning_curve.png", dpi=110)
            paths += [str(out / "history.json"), str(out / "learning_curve.png")]
        if self._eval_cache:
            metric = self.task.metrics()
            if isinstance(metric, DetectionMetric):
                for batch, pred in self._eval_cache:
                    metric.update(pred, batch)
                fig = pr_curve_figure(metric.pr_curve(0.5), f"{self.task.name} test PR @ IoU 0.5")
                fig.savefig(out / "pr_curve.png", dpi=110)
                paths.append(str(out / "pr_curve.png"))
        best = getattr(getattr(self.model, "trainer", None), "best", None) or (
            self.workdir / "train" / "weights" / "best.pt" if self.workdir else None
        )
        if best and Path(best).is_file():
            shutil.copyfile(best, out / "best.pt")
            paths.append(str(out / "best.pt"))
        import matplotlib.pyplot as plt

        plt.close("all")
        return paths

    throughput_unit = "image"

    def export(self, out_dir: str):
        """Best checkpoint + ModelCard for serving (``geoarena.det.serving``)."""
        from geoarena.det.serving import export_yolo

        return export_yolo(self, out_dir)

    def cleanup(self) -> None:
        """Remove the temporary YOLO dataset/run folder."""
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _device(requested: str) -> str:
    import torch

    if requested in ("auto", "") or requested.startswith("cuda"):
        if torch.cuda.is_available():
            return "0" if requested in ("auto", "", "cuda") else requested.split(":", 1)[-1]
        return "cpu"
    return requested


def _torch_device(ultralytics_device: str) -> str:
    """ultralytics' device (``cpu``, ``0``, ``1``, ``0,1``, ``mps``) as a torch device string;
    predictions run on the first GPU of a multi-GPU training run."""
    first = ultralytics_device.split(",", 1)[0]
    return f"cuda:{first}" if first.isdigit() else ultralytics_device


def _amp(amp: bool, device: str) -> bool | str:
    """ultralytics' ``amp``: bf16 on a CUDA GPU with native bf16, else off. ``amp=True`` (fp16)
    makes ultralytics run its AMP check, which loads ``yolo26n.pt`` (not the weights trained
    from) and so downloads it; ``bf16`` skips that check."""
    if not amp or device in ("cpu", "mps"):
        return False
    import torch

    return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else False
