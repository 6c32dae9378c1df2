"""Training augmentation on the training device, with kornia (pinned), geometry kept aligned.

``train.augment`` names the recipe (a TrainConfig field: declared per task in suite entries,
logged as a run param): ``none``, ``d4`` (horizontal and vertical flips and 90° rotations — the
dihedral group of the square, valid for nadir imagery), ``crop`` (random resized crop back to
the input size, 50–100 % of the area), ``jitter`` (brightness and contrast: per sample, each
channel becomes ``mean + c·(x − mean) + b·std`` with its own mean and std, ``c`` in 0.8–1.2 and
``b`` in −0.2–0.2, one draw per sample for all channels — scale-free, so it needs no knowledge
of the normalisation; labels untouched), and ``+`` sums such as ``d4+crop`` or
``d4+jitter``. Every sample draws its own transform;
``image`` is transformed, ``mask`` and ``valid`` follow it with nearest-neighbour resampling
(ignore values such as 255 survive) and ``boxes`` ``(B, N, 4)`` in xyxy pixels follow as boxes. Multi-date
stacks ``(B, T, C, H, W)`` share one transform per sample. Randomness comes from torch's global
RNG, which checkpoints store, so resumed runs draw the same transforms. Under DDP every rank
starts from the same seed, so each rank draws from a stream of its own
(:func:`augment_on_rank`): otherwise the k-th sample of every rank's share would be turned
the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoarena.core.errors import ConfigError

RECIPES = ("none", "d4", "crop", "jitter", "d4+crop", "d4+jitter")
#: per-pixel batch entries transformed like masks (nearest neighbour): targets and validity
MASK_KEYS = ("mask", "valid")
Batch = dict[str, Any]


def parse_recipe(spec: str) -> tuple[str, ...]:
    """``"d4+crop"`` → ``("d4", "crop")``; unknown parts raise ``ConfigError``."""
    parts = tuple(p.strip() for p in (spec or "none").split("+") if p.strip())
    unknown = [p for p in parts if p not in ("none", "d4", "crop", "jitter")]
    if unknown:
        raise ConfigError(f"train.augment={spec!r}: unknown part(s) {unknown}; use {RECIPES}")
    return tuple(p for p in parts if p != "none")


class BatchAugment:
    """``batch -> batch`` applying a kornia ``AugmentationSequential`` to image/mask/boxes."""

    def __init__(
        self,
        parts: tuple[str, ...],
        crop_scale: tuple[float, float] = (0.5, 1.0),
        contrast: tuple[float, float] = (0.8, 1.2),
        brightness: tuple[float, float] = (-0.2, 0.2),
    ):
        self.parts, self.crop_scale = parts, crop_scale
        self.contrast, self.brightness = contrast, brightness
        self._seq: dict[tuple[int, int, tuple[str, ...]], Any] = {}

    def _sequential(self, size: tuple[int, int], keys: tuple[str, ...]) -> Any:
        import kornia.augmentation as K

        cached = self._seq.get((*size, keys))
        if cached is not None:
            return cached
        ops: list[Any] = []
        if "d4" in self.parts:
            ops += [K.RandomHorizontalFlip(), K.RandomVerticalFlip()]
            if size[0] == size[1]:  # a 90° turn keeps only square inputs' shape
                ops.append(K.RandomRotation90(times=(0, 3)))
        if "crop" in self.parts:
            ops.append(K.RandomResizedCrop(size, scale=self.crop_scale))
        seq = K.AugmentationSequential(*ops, data_keys=list(keys))
        self._seq[(*size, keys)] = seq
        return seq

    def jitter(self, x: Any) -> Any:
        """Brightness/contrast of ``(B, C, H, W)`` around each sample's channel mean and std."""
        import torch

        b = x.shape[0]
        lo, hi = self.contrast
        c = torch.rand(b, 1, 1, 1, device=x.device) * (hi - lo) + lo
        lo, hi = self.brightness
        s = torch.rand(b, 1, 1, 1, device=x.device) * (hi - lo) + lo
        xf = x.float()
        mean = xf.mean((-2, -1), keepdim=True)
        std = xf.std((-2, -1), keepdim=True)
        return mean + c * (xf - mean) + s * std

    def __call__(self, batch: Batch) -> Batch:
        image = batch["image"]
        shape = image.shape
        stacked = image.ndim == 5
        x = image.reshape(shape[0], -1, *shape[-2:]) if stacked else image
        if "jitter" in self.parts:
            x = self.jitter(x)
        if not any(p in self.parts for p in ("d4", "crop")):
            res = dict(batch)
            res["image"] = x.reshape(shape).to(image.dtype)
            return res
        args, keys, names = [x], ["input"], []
        for name in MASK_KEYS:  # per-pixel targets and validity follow the image
            m = batch.get(name)
            if m is not None and hasattr(m, "ndim") and m.ndim == 3 and m.shape[-2:] == shape[-2:]:
                args.append(m[:, None].float())
                keys.append("mask")
                names.append(name)
        boxes = batch.get("boxes")
        if boxes is not None and hasattr(boxes, "ndim") and boxes.ndim == 3:
            args.append(boxes.float())
            keys.append("bbox_xyxy")
        out = self._sequential((int(shape[-2]), int(shape[-1])), tuple(keys))(*args)
        out = out if isinstance(out, (list, tuple)) else [out]
        res = dict(batch)
        res["image"] = out[0].reshape(shape).to(image.dtype) if stacked else out[0].to(image.dtype)
        for name, value in zip(names, out[1 : 1 + len(names)], strict=True):
            m = batch[name]
            v = value[:, 0]
            res[name] = (v if m.dtype.is_floating_point else v.round()).to(m.dtype)
        if "bbox_xyxy" in keys:
            res["boxes"] = out[-1].to(boxes.dtype)
        return res


def augment_on_rank(augment: Callable[[Batch], Batch], batch: Batch, fabric: Any) -> Batch:
    """``augment(batch)`` on the DDP rank ``fabric.global_rank`` of ``fabric.world_size``.

    One process draws from the global RNG as it is. Several ranks take one number from the
    global stream — the same on every rank, so the streams stay in step and in the checkpoint —
    and draw the transforms from a forked stream seeded by that number and the rank; the
    global stream is left as it was, so a resumed run draws the same transforms again.
    """
    if fabric.world_size <= 1:
        return augment(batch)
    import numpy as np
    import torch

    base = int(torch.randint(0, 2**31 - 1, ()).item())
    seed = int(np.random.SeedSequence([base, fabric.global_rank]).generate_state(1)[0])
    # the batch's device (any tensor's: the recipe's own callable need not read "image")
    device = next((v.device for v in batch.values() if isinstance(v, torch.Tensor)), None)
    cuda = [device] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.default_generator.manual_seed(seed)  # kornia draws its parameters on the CPU
        for d in cuda:
            with torch.cuda.device(d):
                torch.cuda.manual_seed(seed)  # jitter draws on the batch's device
        return augment(batch)


def build_augment(spec: str) -> Callable[[Batch], Batch] | None:
    """The augmentation of recipe ``spec`` (``None`` for ``none``)."""
    parts = parse_recipe(spec)
    return BatchAugment(parts) if parts else None
