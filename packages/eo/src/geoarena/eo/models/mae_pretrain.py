"""Masked-autoencoder pretraining of our ViT (Prithvi-EO-2.0 layout) on unlabelled rasters.

A CPU user can pretrain a tiny model on real, unlabelled imagery (any GeoTIFF/PNG GDAL reads)
and fine-tune or linear-probe it through the registry: ``save_checkpoint`` writes the published
Prithvi key layout, which ``eo/prithvi-*`` models load with ``model_kwargs={"weights": path,
"weights_bands": bands}``.

Two unlabelled data sources: ``RandomCrops`` over whole rasters (each z-scored with its own band
statistics), and ``ChipCrops`` over a task's *training* chips normalised exactly as the task's
datamodule normalises them for fine-tuning/probing (``task_train_crops``) — unlabelled use of the
training area's imagery, never its validation or test area.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from geoarena.core.errors import ConfigError, DataError
from geoarena.eo.bands import resolve_bands
from geoarena.eo.models.prithvi import PRITHVI_CONFIGS, PrithviMAE


@dataclass(frozen=True)
class RasterSource:
    """One unlabelled raster and which of its bands (1-based) carry which band names."""

    path: Path
    band_indexes: tuple[int, ...]
    band_names: tuple[str, ...]


@dataclass
class MAEPretrainConfig:
    """Pretraining schedule. ``size`` names a ``PRITHVI_CONFIGS`` entry; ``crop`` must be a
    multiple of its patch size."""

    size: str = "tiny"
    crop: int = 64
    steps: int = 600
    batch_size: int = 32
    lr: float = 1.5e-3
    weight_decay: float = 0.05
    warmup_steps: int = 40
    mask_ratio: float = 0.75
    norm_pix_loss: bool = True
    seed: int = 0


class RandomCrops:
    """Seeded random crops from a list of z-scored rasters (each normalised with its own band
    statistics, so sensors with different units mix)."""

    def __init__(self, sources: Sequence[RasterSource], crop: int, seed: int = 0):
        import rasterio

        if not sources:
            raise ConfigError("MAE pretraining needs at least one raster")
        names = sources[0].band_names
        resolve_bands(list(names))
        self.arrays = []
        for src in sources:
            if tuple(src.band_names) != tuple(names):
                raise ConfigError(f"{src.path}: bands {src.band_names} differ from {names}")
            try:
                with rasterio.open(src.path) as ds:
                    arr = ds.read(list(src.band_indexes)).astype(np.float32)
            except Exception as exc:  # unreadable raster: name it
                raise DataError(f"cannot read raster: {exc}", src.path) from exc
            if arr.shape[1] < crop or arr.shape[2] < crop:
                raise DataError(
                    f"raster {arr.shape[1]}x{arr.shape[2]} is smaller than the {crop}px crop",
                    src.path,
                )
            mean = arr.mean(axis=(1, 2), keepdims=True)
            std = arr.std(axis=(1, 2), keepdims=True) + 1e-6
            self.arrays.append((arr - mean) / std)
        self.band_names = tuple(names)
        self.crop = crop
        self.rng = np.random.default_rng(seed)
        # sample rasters in proportion to their area
        areas = np.array([a.shape[1] * a.shape[2] for a in self.arrays], dtype=np.float64)
        self.weights = areas / areas.sum()

    def batch(self, n: int) -> torch.Tensor:
        out = np.empty((n, len(self.band_names), self.crop, self.crop), dtype=np.float32)
        which = self.rng.choice(len(self.arrays), size=n, p=self.weights)
        for i, k in enumerate(which):
            arr = self.arrays[k]
            y = self.rng.integers(0, arr.shape[1] - self.crop + 1)
            x = self.rng.integers(0, arr.shape[2] - self.crop + 1)
            chip = arr[:, y : y + self.crop, x : x + self.crop]
            if self.rng.random() < 0.5:  # flips: cheap augmentation, no change of meaning
                chip = chip[:, :, ::-1]
            if self.rng.random() < 0.5:
                chip = chip[:, ::-1, :]
            out[i] = chip
        return torch.from_numpy(out)


class ChipCrops:
    """Seeded crops from already-normalised chips ``(N, C, H, W)`` (e.g. a task's train split
    through its datamodule's ``normalise``), with random dihedral (D4) augmentation.

    Chips larger than ``crop`` are cropped at a random offset; smaller ones are refused."""

    def __init__(
        self, chips: np.ndarray, band_names: Sequence[str], crop: int, seed: int = 0, source=""
    ):
        chips = np.asarray(chips, dtype=np.float32)
        if chips.ndim != 4 or len(chips) == 0:
            raise DataError(f"need a non-empty (N, C, H, W) chip array, got {chips.shape}", source)
        if chips.shape[1] != len(band_names):
            raise DataError(
                f"chips have {chips.shape[1]} bands but {len(band_names)} band names were given",
                source,
            )
        if chips.shape[2] < crop or chips.shape[3] < crop:
            raise DataError(
                f"chips of {chips.shape[2]}x{chips.shape[3]} are smaller than the {crop}px crop",
                source,
            )
        resolve_bands(list(band_names))
        self.chips = chips
        self.band_names = tuple(band_names)
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> torch.Tensor:
        out = np.empty((n, len(self.band_names), self.crop, self.crop), dtype=np.float32)
        _, _, h, w = self.chips.shape
        for i, k in enumerate(self.rng.integers(0, len(self.chips), size=n)):
            y = self.rng.integers(0, h - self.crop + 1)
            x = self.rng.integers(0, w - self.crop + 1)
            chip = self.chips[k, :, y : y + self.crop, x : x + self.crop]
            chip = np.rot90(chip, k=int(self.rng.integers(4)), axes=(1, 2))
            if self.rng.random() < 0.5:
                chip = chip[:, :, ::-1]
            out[i] = chip
        return torch.from_numpy(out)


def task_train_crops(data, crop: int, seed: int = 0) -> ChipCrops:
    """``ChipCrops`` over the *train* split of a chip datamodule (``ChipDataModule``), normalised
    with the datamodule's own statistics — the inputs a probe on that task will see. Validation
    and test chips are never used."""
    images, _ = data.arrays("train")
    if images.ndim != 4:
        raise DataError(f"MAE pretraining takes single-date chips; got shape {images.shape}")
    from geoarena.eo.data.info import raster_info

    info = raster_info(data, "MAE pretraining")
    return ChipCrops(images, info.band_names, crop, seed, source=info.source)


def pretrain_mae(
    sources: Sequence[RasterSource] | RandomCrops | ChipCrops,
    cfg: MAEPretrainConfig,
    log_every: int = 50,
) -> tuple[PrithviMAE, list[float]]:
    """Train a ``PrithviMAE`` of size ``cfg.size`` on random crops of ``sources`` (rasters, or
    a ready crop sampler such as ``task_train_crops``); returns it and the loss curve (one
    value per step)."""
    torch.manual_seed(cfg.seed)
    if isinstance(sources, (RandomCrops, ChipCrops)):
        crops = sources
        if crops.crop != cfg.crop:
            raise ConfigError(f"crop sampler makes {crops.crop}px crops, config says {cfg.crop}")
    else:
        crops = RandomCrops(sources, cfg.crop, cfg.seed)
    arch = PRITHVI_CONFIGS[cfg.size]
    if cfg.crop % arch.patch_size[1]:
        raise ConfigError(
            f"crop {cfg.crop} is not a multiple of the patch size {arch.patch_size[1]}"
        )
    arch = dataclasses.replace(
        arch,
        bands=crops.band_names,
        mean=(),
        std=(),
        input_unit="zscore_per_raster" if isinstance(crops, RandomCrops) else "zscore_task",
        mask_ratio=cfg.mask_ratio,
    )
    mae = PrithviMAE(
        arch,
        in_chans=len(crops.band_names),
        num_frames=1,
        img_size=cfg.crop,
        norm_pix_loss=cfg.norm_pix_loss,
    )
    opt = torch.optim.AdamW(
        mae.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay
    )

    def lr_at(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        return 0.5 * (
            1 + math.cos(math.pi * (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
        )

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    losses: list[float] = []
    t0 = time.perf_counter()
    mae.train()
    for step in range(cfg.steps):
        loss, _, _ = mae(crops.batch(cfg.batch_size))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if log_every and (step + 1) % log_every == 0:
            recent = np.mean(losses[-log_every:])
            print(
                f"mae step {step + 1}/{cfg.steps} loss {recent:.4f} ({time.perf_counter() - t0:.0f}s)",
                flush=True,
            )
    mae.eval()
    return mae, losses


def save_checkpoint(mae: PrithviMAE, path: str | Path) -> Path:
    """Write the MAE state dict (published Prithvi key layout: ``encoder.…``, ``decoder.…``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(mae.state_dict(), path)
    return path
