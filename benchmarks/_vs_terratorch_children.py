"""The two children of benchmarks/vs_terratorch.py: one training run of GeoArena or of TerraTorch.

The script re-invokes itself with ``--child ours|terratorch``; each child trains and tests once
and prints its summary as one JSON line. The TerraTorch child runs in TerraTorch's own
environment, so this module imports only the standard library and numpy at module level:
geoarena, torch, lightning and terratorch are imported inside the child that needs them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

DATASET = "m-chesapeake"  # the real download's folder name (both readers use it)
N_CLASSES = 7

#: ``--backbone`` → GeoArena's model and model_kwargs / TerraTorch's backbone and neck arguments.
#: Random init on both sides (no weights can be fetched here), the same encoder architecture.
PRITHVI_TINY = {"embed_dim": 256, "depth": 4, "num_heads": 4}  # TerraTorch's prithvi_eo_tiny
OURS_MODELS = {
    "resnet18": ("eo/resnet18", {"decoder": "upernet"}),
    "prithvi-tiny": (
        "eo/prithvi-tiny",
        {
            "arch": {
                **PRITHVI_TINY,
                "patch_size": (1, 16, 16),
                "img_size": 64,
                "decoder_embed_dim": 128,
                "decoder_depth": 4,
                "decoder_num_heads": 4,
            }
        },
    ),
}
TT_MODELS = {
    # the 4 stride-4…32 levels GeoArena's UPerNet fuses (not the stride-2 stem): the same
    # network to within 256 parameters (the BatchNorm of TerraTorch's pyramid-pooling convs)
    "resnet18": {
        "backbone": "timm_resnet18",
        "backbone_in_chans": 4,
        "necks": [{"name": "SelectIndices", "indices": [1, 2, 3, 4]}],
    },
    # the same 3,422,208-parameter encoder as ours; the ViT-to-pyramid necks differ (TerraTorch's
    # documented ReshapeTokensToImage + LearnedInterpolateToPyramidal, our ViTDet-style simple
    # feature pyramid): 4,366,855 vs 4,384,007 parameters in all
    "prithvi-tiny": {
        "backbone": "prithvi_eo_tiny",
        "backbone_bands": ["BLUE", "GREEN", "NIR_NARROW", "RED"],  # the reader's channel order
        "backbone_img_size": 64,
        "backbone_num_frames": 1,
        "necks": [
            {"name": "SelectIndices", "indices": [0, 1, 2, 3]},
            {"name": "ReshapeTokensToImage"},
            {"name": "LearnedInterpolateToPyramidal"},
        ],
    },
}


# -- shared by both children ------------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set size (``VmHWM``) in MB; NaN where /proc has none."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def miou_present(conf: np.ndarray) -> float:
    """Mean IoU over classes present in prediction or target (GeoArena's definition)."""
    tp = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - tp
    present = union > 0
    return float((tp[present] / union[present]).mean())


class StepClock:
    """Wall-clock stamps of every optimizer step (a global torch hook: no framework code).

    ``started`` is the ``time.perf_counter()`` stamp that time to first step counts from: the
    script's own, taken before its imports."""

    def __init__(self, started: float) -> None:
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self.started = started
        self.stamps: list[float] = []
        register_optimizer_step_post_hook(lambda *a, **k: self.stamps.append(time.perf_counter()))


def summary(clock: StepClock, epoch_ends: list[float], test_miou: float, extra: dict) -> dict:
    """One run's figures as the parent reads them (the child prints them as one JSON line)."""
    spans = np.diff(epoch_ends)  # epoch k's end to epoch k+1's: the first epoch is warm-up
    return {
        "seconds": float(np.median(spans)) if len(spans) else float("nan"),
        "epoch_s": [round(float(s), 3) for s in spans],
        "first_step_s": clock.stamps[0] - clock.started,
        "steps": len(clock.stamps),
        "peak_rss_mb": peak_rss_mb(),
        "test_miou": test_miou,
        **extra,
    }


# -- GeoArena child ---------------------------------------------------------------------------
def child_ours(args, started: float) -> dict:
    """Train and test GeoArena's side once (``args`` from the script's CLI); the run's summary."""
    import torch

    from geoarena.core.config import RunConfig, TrainConfig
    from geoarena.core.runner import run

    torch.set_num_threads(args.threads)
    clock = StepClock(started)
    epoch_ends: list[float] = []
    cfg = RunConfig(
        task=f"eo/{DATASET}",
        model=OURS_MODELS[args.backbone][0],
        model_kwargs=OURS_MODELS[args.backbone][1],
        data_root=str(args.data),
        seed=args.seed,
        device="cpu",
        train=TrainConfig(
            epochs=args.epochs,
            batch_size=args.batch,
            lr=1e-3,
            weight_decay=0.01,
            optimizer="adamw",
            scheduler="none",
            early_stop_patience=0,
            amp=False,
            checkpoint_every=0,
        ),
    )
    res = run(
        cfg,
        on_epoch=lambda e, m: epoch_ends.append(time.perf_counter()),
        raise_errors=True,
        artifacts=False,
    )
    # the runner's segmentation metric: one confusion matrix of the test split, mean IoU over
    # the classes present (every class of the fixture is present in its test masks)
    return summary(
        clock, epoch_ends, res.test.get("test/miou", float("nan")), {"params": res.n_params}
    )


# -- TerraTorch child (runs in TerraTorch's environment) --------------------------------------
def child_terratorch(args, started: float) -> dict:
    """Train and test TerraTorch's side once (``args`` from the script's CLI); the run's summary."""
    sys.modules["mmseg"] = (
        None  # an optional extra TerraTorch would import; not part of its install
    )
    import lightning.pytorch as pl
    import torch
    from terratorch.datamodules.geobench_data_module import GeobenchDataModule
    from terratorch.datasets import MChesapeakeLandcoverNonGeo
    from terratorch.tasks import SemanticSegmentationTask

    torch.set_num_threads(args.threads)
    pl.seed_everything(args.seed, workers=True)
    clock = StepClock(started)
    root = Path(args.data) / "segmentation_v1.0"
    stats = json.loads((root / DATASET / "band_stats.json").read_text())
    bands = MChesapeakeLandcoverNonGeo.all_band_names
    by_upper = {k.upper(): v for k, v in stats.items()}
    dm = GeobenchDataModule(
        MChesapeakeLandcoverNonGeo,
        {b: by_upper[b]["mean"] for b in bands},
        {b: by_upper[b]["std"] for b in bands},
        batch_size=args.batch,
        num_workers=0,
        data_root=str(root),
    )
    task = SemanticSegmentationTask(
        model_factory="EncoderDecoderFactory",
        model_args={
            **TT_MODELS[args.backbone],
            "backbone_pretrained": False,
            "decoder": "UperNetDecoder",
            "decoder_channels": 64,
            "num_classes": N_CLASSES,
        },
        loss="ce",
        # its default (None) reaches F.cross_entropy, which torch 2.14 rejects; -1 ignores nothing
        ignore_index=-1,
        lr=1e-3,
        optimizer="AdamW",
        optimizer_hparams={"weight_decay": 0.01},
        plot_on_val=False,
    )
    epoch_ends: list[float] = []

    class Stamp(pl.Callback):
        def on_train_epoch_end(self, trainer, module):  # after the epoch's validation
            epoch_ends.append(time.perf_counter())

    # test the best validation epoch, as GeoArena's fit loop does (it restores the best weights):
    # TerraTorch's documented way is a ModelCheckpoint on the validation metric + ckpt_path="best"
    best = pl.callbacks.ModelCheckpoint(
        dirpath=str(Path(args.data) / f"tt-ckpt-{os.getpid()}"),
        monitor="val/mIoU",
        mode="max",
        save_top_k=1,
        save_last=False,
    )
    trainer = pl.Trainer(
        max_epochs=args.epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=True,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[Stamp(), best],
        deterministic=False,
    )
    trainer.fit(task, datamodule=dm)
    native = trainer.test(task, datamodule=dm, ckpt_path="best", verbose=False)[0]
    conf = np.zeros((N_CLASSES, N_CLASSES), np.int64)
    task.model.eval()
    with torch.inference_mode():
        for batch in dm.test_dataloader():
            batch = dm.aug(batch)
            pred = task.model(batch["image"]).output.argmax(1)
            conf += np.bincount(
                batch["mask"].long().reshape(-1).numpy() * N_CLASSES + pred.reshape(-1).numpy(),
                minlength=N_CLASSES**2,
            ).reshape(N_CLASSES, N_CLASSES)
    params = sum(p.numel() for p in task.model.parameters())
    return summary(
        clock,
        epoch_ends,
        miou_present(conf),
        {"test_miou_native": native.get("test/mIoU", float("nan")), "params": params},
    )
