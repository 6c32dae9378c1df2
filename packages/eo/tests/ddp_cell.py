"""One EO fine-tuning cell through the harness runner, launched by the DDP tests: by default
a ViT segmenting the scene fixture (``--scene-dir``), or any registered task and model
(``--task``, ``--model``, ``--data-root``: a GEO-Bench-2 fixture, in quick mode).

``python ddp_cell.py …`` runs it in one process; ``torchrun --nproc_per_node=N ddp_cell.py …``
runs it data-parallel (gloo on CPU). Only global rank 0 writes to MLflow; rank 0 writes the
result JSON (val/test metrics, run id, world size) to ``--out``. ``--kill-after-epoch K``
SIGKILLs the process group leader's process right after epoch K's checkpoint was stored
(a ``kill -9`` during epoch K + 1).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

BANDS = ("red", "green", "nir")
TASK = "eo/test-ddp-buildings"


def register_task(scene_dir: Path, chip_size: int) -> None:
    from geoarena.core.metrics import ConfusionMatrixMetric
    from geoarena.core.registry import TASKS
    from geoarena.core.task import Task
    from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipDataModule
    from geoarena.eo.data.info import RasterInfo
    from geoarena.eo.data.scene import SceneSource, SceneTaskSpec, chip_scenes

    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=chip_size, block_chips=2)

    def datamodule(ctx):
        src = SceneSource(scene_dir / "scene.tif", scene_dir / "labels_wgs84.geojson")
        chips = chip_scenes([src], spec)
        return ChipDataModule(chips, "seg", RasterInfo(band_names=BANDS, input_unit="dn_uint16"))

    TASKS.register(TASK)(
        lambda: Task(
            name=TASK,
            kind="seg",
            datamodule=datamodule,
            metric="miou",
            num_classes=2,
            modality="eo",
            metrics=lambda: ConfusionMatrixMetric(2, target_key="mask", ignore_index=IGNORE_INDEX),
        ),
    )


def record_input_dtypes() -> set[str]:
    """The dtypes of the floating tensors in the batches the adapter's model receives (under
    mixed precision: what the loader made, not bf16/fp16)."""
    import torch

    seen: set[str] = set()

    def hook(module, args):
        if type(module).__name__ == "BatchModel" and args and isinstance(args[0], dict):
            seen.update(str(v.dtype) for v in args[0].values() if torch.is_floating_point(v))

    torch.nn.modules.module.register_module_forward_pre_hook(hook)
    return seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scene-dir", type=Path, help="the scene fixture of the default task")
    ap.add_argument("--task", default=TASK)
    ap.add_argument("--data-root", default="")
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--set", nargs="*", default=[], dest="overrides")
    ap.add_argument("--chip-size", type=int, default=16)
    ap.add_argument("--model", default="eo/vit-tiny")
    ap.add_argument("--kill-after-epoch", type=int, default=-1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--embed-dim", type=int, default=0, help="the ViT's width (0: vit-tiny's)")
    args = ap.parse_args(argv)

    from geoarena.core.config import RunConfig, TrainConfig, apply_overrides
    from geoarena.core.runner import run
    from geoarena.store.mlflow_tracker import MLflowTracker
    from geoarena.train.distributed import rank_zero_tracker, world_from_env

    model_kwargs: dict = {}
    if args.task == TASK:
        register_task(args.scene_dir, args.chip_size)
        arch: dict = {"depth": 2}
        if args.embed_dim:
            arch["embed_dim"] = args.embed_dim
        model_kwargs = {"decoder": "linear", "arch": arch}
    cfg = RunConfig(
        task=args.task,
        model=args.model,
        seed=3,
        device=args.device,
        data_root=args.data_root,
        quick=bool(args.data_root),
        model_kwargs=model_kwargs,
        train=TrainConfig(
            epochs=4, batch_size=8, lr=2e-3, early_stop_patience=0, scheduler="cosine"
        ),
    )
    cfg = apply_overrides(cfg, args.overrides)
    world = world_from_env()
    tracker = rank_zero_tracker(MLflowTracker("ddp-test", tracking_uri=args.tracking_uri), world)
    on_epoch = None
    if args.kill_after_epoch >= 0:

        def on_epoch(epoch, metrics):  # the checkpoint of ``epoch`` is stored before this hook
            if epoch == args.kill_after_epoch:
                os.kill(os.getpid(), signal.SIGKILL)

    seen = record_input_dtypes()
    res = run(cfg, tracker, on_epoch=on_epoch, raise_errors=True)
    if world.is_zero:
        args.out.write_text(
            json.dumps(
                {
                    "run_id": res.run_id,
                    "status": res.status,
                    "val": res.val,
                    "test": res.test,
                    "world_size": res.fit.extra.get("world_size"),
                    "fsdp_units": res.fit.extra.get("fsdp_units", 0),
                    "input_dtypes": sorted(seen),
                    "resumed_at_epoch": res.fit.extra.get("resumed_at_epoch"),
                    "epochs_run": res.fit.epochs_run,
                    "config_hash": res.config_hash,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
