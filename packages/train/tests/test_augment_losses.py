"""On-device augmentation keeps image, masks and boxes aligned; the imbalance-aware losses equal
segmentation_models_pytorch's implementations and the textbook weighted cross-entropy."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from geoarena.core.errors import ConfigError
from geoarena.train.augment import BatchAugment, augment_on_rank, build_augment
from geoarena.train.losses import (
    build_loss,
    class_weights,
    dice_loss,
    focal_loss,
    lovasz_softmax,
)


def _pattern_batch(n: int = 64, size: int = 16):
    """Image channel 0 carries the mask's values, so alignment is checkable pixel by pixel."""
    g = torch.Generator().manual_seed(0)
    blocks = torch.randint(0, 3, (1, size // 4, size // 4), generator=g)  # 4×4-pixel regions
    mask = blocks.repeat_interleave(4, 1).repeat_interleave(4, 2).repeat(n, 1, 1)
    mask[:, :2, :5] = 255  # an ignored corner makes the pattern asymmetric
    image = torch.stack([mask.float(), torch.randn(n, size, size, generator=g)], 1)
    valid = mask != 255
    return {"image": image, "mask": mask, "valid": valid, "label": torch.zeros(n)}


def test_d4_moves_image_mask_and_validity_together_and_draws_all_eight_transforms():
    torch.manual_seed(1)
    batch = _pattern_batch()
    out = build_augment("d4")(batch)
    assert out["mask"].dtype == torch.int64 and out["valid"].dtype == torch.bool
    # aligned pixel by pixel (kornia turns by 90° through an affine warp: ≤ 1e-3 float error)
    torch.testing.assert_close(out["image"][:, 0], out["mask"].float(), atol=2e-3, rtol=0)
    assert torch.equal(out["valid"], out["mask"] != 255)
    assert torch.equal(out["label"], batch["label"])  # non-spatial entries pass through
    distinct = {tuple(m.flatten().tolist()) for m in out["mask"]}
    assert len(distinct) == 8  # the dihedral group of the square


class _Ranks:
    def __init__(self, rank, world):
        self.global_rank, self.world_size = rank, world


def test_ddp_ranks_draw_their_own_transforms_reproducibly():
    """Every rank starts from the same seed: each must turn its share its own way (not the k-th
    sample of every rank alike), the same way again after a resume, and leave the global
    stream in step across ranks."""
    aug, batch = build_augment("d4+jitter"), _pattern_batch(8)

    def draw(rank, world, seed=3):
        torch.manual_seed(seed)
        out = augment_on_rank(aug, batch, _Ranks(rank, world))
        return out["image"], torch.rand(())  # the global stream after the step

    one = draw(0, 1)[0]
    torch.manual_seed(3)
    assert torch.equal(one, aug(batch)["image"])  # one process: the global stream as before
    r0, after0 = draw(0, 2)
    r1, after1 = draw(1, 2)
    assert not torch.equal(r0, r1)  # ranks differ ...
    assert torch.equal(after0, after1)  # ... and stay in step
    assert torch.equal(draw(1, 2)[0], r1)  # a resumed rank draws the same again
    assert not torch.equal(draw(1, 2, seed=4)[0], r1)  # and the run's seed still matters


def test_random_resized_crop_keeps_labels_discrete_and_aligned():
    torch.manual_seed(2)
    batch = _pattern_batch(n=16, size=32)
    out = build_augment("d4+crop")(batch)
    assert out["image"].shape == batch["image"].shape and out["mask"].shape == batch["mask"].shape
    assert set(out["mask"].unique().tolist()) <= {0, 1, 2, 255}  # nearest: no blended labels
    zoomed = (out["mask"] != batch["mask"]).flatten(1).any(1)
    assert zoomed.float().mean() > 0.5  # most samples were actually transformed
    # the image (bilinear) agrees with the mask (nearest) away from label edges
    agree = (out["image"][:, 0] - out["mask"].float()).abs() < 0.5
    assert agree.float().mean() > 0.8


def test_jitter_is_a_per_sample_affine_map_of_the_image_and_leaves_labels_alone():
    torch.manual_seed(4)
    batch = _pattern_batch(n=32)
    batch["image"] = batch["image"] * 3.0 + 7.0  # any normalisation: the jitter is scale-free
    out = build_augment("jitter")(batch)
    assert torch.equal(out["mask"], batch["mask"]) and torch.equal(out["valid"], batch["valid"])
    x, y = batch["image"], out["image"]
    mx, sx = x.mean((-2, -1)), x.std((-2, -1))
    # per sample and channel, y = mean + c·(x − mean) + b·std: std ratio c, mean shift b·std
    c = y.std((-2, -1)) / sx
    b = (y.mean((-2, -1)) - mx) / sx
    assert ((c >= 0.8 - 1e-4) & (c <= 1.2 + 1e-4)).all() and ((b.abs()) <= 0.2 + 1e-4).all()
    torch.testing.assert_close(c[:, 0], c[:, 1])  # one draw per sample for all channels
    torch.testing.assert_close(b[:, 0], b[:, 1])
    assert c.std() > 0.05 and b.std() > 0.05  # samples draw different values
    rebuilt = mx[..., None, None] + c[..., None, None] * (x - mx[..., None, None])
    torch.testing.assert_close(y, rebuilt + b[..., None, None] * sx[..., None, None])
    both = build_augment("d4+jitter")(_pattern_batch())
    assert set(both["mask"].unique().tolist()) <= {0, 1, 2, 255}


def test_boxes_follow_a_flip():
    aug = BatchAugment(("d4",))
    image = torch.zeros(8, 1, 32, 32)
    image[:, :, 4:10, 20:28] = 1.0  # one bright box: x 20–28, y 4–10
    boxes = torch.tensor([[[20.0, 4.0, 27.0, 9.0]]]).repeat(8, 1, 1)
    torch.manual_seed(3)
    out = aug({"image": image, "boxes": boxes})
    for img, (x0, y0, x1, y1) in zip(out["image"][:, 0], out["boxes"][:, 0], strict=True):
        ys, xs = torch.nonzero(img > 0.5, as_tuple=True)
        assert abs(xs.min() - x0) <= 1 and abs(xs.max() - x1) <= 1
        assert abs(ys.min() - y0) <= 1 and abs(ys.max() - y1) <= 1


def test_time_stacks_share_one_transform_and_unknown_recipes_are_refused():
    torch.manual_seed(4)
    x = torch.randn(4, 3, 2, 8, 8)
    x[:, 1] = x[:, 0]  # two dates, identical
    out = build_augment("d4")({"image": x})
    assert out["image"].shape == x.shape and torch.equal(out["image"][:, 1], out["image"][:, 0])
    assert build_augment("none") is None
    with pytest.raises(ConfigError, match="unknown part"):
        build_augment("d4+mixup")


def _seg_case():
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(4, 3, 8, 8, generator=g)
    target = torch.randint(0, 3, (4, 8, 8), generator=g)
    target[:, 0] = 255
    target[target == 2] = 1  # class 2 absent from the target
    return logits, target


def test_dice_and_focal_equal_segmentation_models_pytorch():
    from segmentation_models_pytorch.losses import DiceLoss, FocalLoss

    logits, target = _seg_case()
    ref_dice = DiceLoss("multiclass", from_logits=True, ignore_index=255)(logits, target)
    torch.testing.assert_close(dice_loss(logits, target, 255), ref_dice, atol=1e-5, rtol=1e-5)
    ref_focal = FocalLoss("multiclass", ignore_index=255)(logits, target)
    torch.testing.assert_close(focal_loss(logits, target, 255), ref_focal, atol=1e-5, rtol=1e-5)
    combo = build_loss("focal+dice", ignore_index=255)(logits, target)
    torch.testing.assert_close(combo, ref_dice + ref_focal, atol=1e-5, rtol=1e-5)


def test_weighted_cross_entropy_uses_inverse_frequency_weights():
    assert class_weights([90, 10, 0]) == pytest.approx([0.2, 1.8, 0.0])
    logits, target = _seg_case()
    w = class_weights([90, 10, 0])
    got = build_loss("weighted_ce", ignore_index=255, weights=w)(logits, target)
    ref = F.cross_entropy(logits, target, weight=torch.tensor(w), ignore_index=255)
    torch.testing.assert_close(got, ref)
    with pytest.raises(ConfigError, match="class counts"):
        build_loss("weighted_ce")
    with pytest.raises(ConfigError, match="class counts"):
        build_loss("weighted_ce+dice")


def test_weighted_ce_plus_dice_is_the_sum_of_its_terms():
    logits, target = _seg_case()
    w = class_weights([90, 10, 0])
    got = build_loss("weighted_ce+dice", ignore_index=255, weights=w)(logits, target)
    wce = F.cross_entropy(logits, target, weight=torch.tensor(w), ignore_index=255)
    torch.testing.assert_close(got, wce + dice_loss(logits, target, 255))
    # a hand-computed case: 2 pixels, 2 classes, logits 0 (p = 0.5 everywhere), weights [1, 3]
    lo = torch.zeros(1, 2, 1, 2)
    t = torch.tensor([[[0, 1]]])
    # weighted CE = (1·ln2 + 3·ln2) / (1 + 3) = ln2; Dice per class = 2·0.5 / (1 + 1) = 0.5
    val = build_loss("weighted_ce+dice", weights=[1.0, 3.0])(lo, t)
    assert float(val) == pytest.approx(math.log(2) + 0.5, abs=1e-6)
    with pytest.raises(ConfigError, match="choose one of"):
        build_loss("tversky")


def test_lovasz_softmax_equals_segmentation_models_pytorch():
    from segmentation_models_pytorch.losses import LovaszLoss

    logits, target = _seg_case()
    ref = LovaszLoss("multiclass", ignore_index=255)(logits, target)
    torch.testing.assert_close(lovasz_softmax(logits, target, 255), ref, atol=1e-5, rtol=1e-5)
    w = class_weights([90, 10, 0])
    got = build_loss("weighted_ce+lovasz", ignore_index=255, weights=w)(logits, target)
    wce = F.cross_entropy(logits, target, weight=torch.tensor(w), ignore_index=255)
    torch.testing.assert_close(got, wce + ref, atol=1e-5, rtol=1e-5)
    # hand-computed: p = 0.5 on 2 pixels of classes 0 and 1; each class's errors are
    # (0.5, 0.5) and the Jaccard gradient along them sums to 1, so the loss is 0.5
    lo = torch.zeros(1, 2, 1, 2, requires_grad=True)
    val = build_loss("lovasz")(lo, torch.tensor([[[0, 1]]]))
    assert float(val) == pytest.approx(0.5, abs=1e-6)
    val.backward()
    # raising the right class's logit lowers the loss
    assert float(lo.grad[0, 0, 0, 0]) < 0 and float(lo.grad[0, 1, 0, 1]) < 0
    # a perfect prediction costs nothing
    sure = torch.tensor([[[[9.0, -9.0]], [[-9.0, 9.0]]]])
    assert float(lovasz_softmax(sure, torch.tensor([[[0, 1]]]))) < 1e-3
