"""The inputs of benchmarks/sliced_detection.py: its large raster and its detector's weights.

Both are made once and cached under ``--cache`` (the raster by size, the weights by seed and
epochs), so later runs of the benchmark time only the slicing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def build_raster(out: Path, size: int) -> Path:
    """Mirror-tile the real Yellowstone crop to ``size`` × ``size`` and write a tiled GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin

    from geoarena.det.data_neon import SCENES_VOC, data_dir
    from geoarena.det.formats import read_image

    if out.exists():
        return out
    img = read_image(data_dir() / f"{SCENES_VOC[0]}.png")
    reps = (-(-size // img.shape[0]) + 1, -(-size // img.shape[1]) + 1)
    rows = [
        np.concatenate([img if j % 2 == 0 else img[:, ::-1] for j in range(reps[1])], 1)
        for _ in range(1)
    ]
    row = rows[0]
    big = np.concatenate([row if i % 2 == 0 else row[::-1] for i in range(reps[0])], 0)[
        :size, :size
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32612",
        "transform": from_origin(528000.0, 4978000.0 + size * 0.1, 0.1, 0.1),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(out, "w", **profile) as ds:
        ds.write(big.transpose(2, 0, 1))
    return out


def train_weights(cache: Path, epochs: int, seed: int) -> Path:
    """A YOLOv8n trained on ``det/neon-trees`` for ``epochs`` epochs (seeded), cached by settings."""
    import shutil

    from geoarena.core.config import RunConfig, TrainConfig
    from geoarena.core.runner import resolve
    from geoarena.core.seeding import seed_everything
    from geoarena.core.task import DataContext

    out = cache / f"neon_yolov8n_seed{seed}_e{epochs}.pt"
    if out.is_file():
        return out
    print(
        f"training the sliced model once: YOLOv8n on det/neon-trees, {epochs} epochs, seed {seed}"
    )
    cfg = RunConfig(
        task="det/neon-trees",
        model="det/yolov8n",
        seed=seed,
        device="cpu",
        train=TrainConfig(
            epochs=epochs,
            batch_size=8,
            lr=2e-3,
            weight_decay=5e-4,
            optimizer="adamw",
            scheduler="cosine",
            warmup_epochs=1,
            early_stop_patience=0,
            amp=False,
        ),
        # the recipe of experiments/det_neon_cpu.py, for a fixed number of epochs (not a time
        # budget: the same model whatever the machine's load)
        model_kwargs={"imgsz": 256, "close_mosaic": 3, "max_det": 300},
    )
    res = resolve(cfg)
    seed_everything(seed)
    data = res.task.datamodule(DataContext())
    data.setup(label_fraction=1.0, seed=seed)
    adapter = res.model_factory(**cfg.model_kwargs)
    adapter.build(res.task, res.protocol, cfg, data)
    fit = adapter.fit(data, cfg.train, lambda epoch, metrics: None)
    best = Path(fit.extra["best_checkpoint"])
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, out)
    adapter.cleanup()
    print(f"trained {fit.epochs_run} epochs, best val {fit.best_val} -> {out}")
    return out
