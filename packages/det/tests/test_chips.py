"""Chip builder and spatial block splits."""

from __future__ import annotations

import functools
import operator

import numpy as np

from geoarena.det.chips import assign_blocks, block_grid, chip_windows, crop_labels, make_chips
from geoarena.det.datamodule import ChipDataModule
from geoarena.det.info import DetectionInfo


def test_block_grid_divides_evenly_without_slivers():
    blocks = block_grid(1249, 1035, 512)
    assert len(blocks) == 2 * 2
    widths = {b[2] - b[0] for b in blocks}
    heights = {b[3] - b[1] for b in blocks}
    assert widths <= {624, 625} and heights <= {517, 518}
    assert sum((b[2] - b[0]) * (b[3] - b[1]) for b in blocks) == 1249 * 1035


def test_block_assignment_is_deterministic_and_disjoint():
    blocks = block_grid(2000, 2000, 250)
    a = assign_blocks(blocks, {"train": 0.7, "val": 0.1, "test": 0.2}, seed=3)
    b = assign_blocks(blocks, {"train": 0.7, "val": 0.1, "test": 0.2}, seed=3)
    assert a == b
    assert sorted(functools.reduce(operator.iadd, a.values(), [])) == sorted(blocks)
    assert len(a["test"]) == 13 and len(a["val"]) == 6  # 64 blocks: 20 % and 10 % of the area


def test_chips_stay_inside_their_block_so_splits_never_share_pixels():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (600, 600, 3), dtype=np.uint8)
    xy = rng.uniform(0, 580, (200, 2))
    boxes = np.concatenate([xy, xy + 20], 1)
    labels = np.zeros(200, dtype=np.int64)
    split = assign_blocks(block_grid(600, 600, 300), {"train": 0.5, "test": 0.5}, seed=0)
    chips = {
        s: make_chips("scene", image, boxes, labels, blocks, chip=128)
        for s, blocks in split.items()
    }
    mask = {s: np.zeros((600, 600), dtype=bool) for s in chips}
    for s, cs in chips.items():
        for c in cs:
            x0, y0, x1, y1 = c.window
            assert any(b[0] <= x0 and b[1] <= y0 and x1 <= b[2] and y1 <= b[3] for b in split[s])
            mask[s][y0:y1, x0:x1] = True
            np.testing.assert_array_equal(c.image, image[y0:y1, x0:x1])
    assert not (mask["train"] & mask["test"]).any()
    assert (mask["train"] | mask["test"]).all()


def test_crop_labels_clips_and_drops_mostly_hidden_boxes():
    boxes = np.array([[10, 10, 30, 30], [90, 90, 130, 110], [120, 10, 140, 30.0]])
    out, keep = crop_labels(boxes, (0, 0, 100, 100), min_visible=0.5)
    np.testing.assert_array_equal(keep, [0])
    out, keep = crop_labels(boxes, (0, 0, 100, 100), min_visible=0.1)
    np.testing.assert_array_equal(keep, [0, 1])
    np.testing.assert_allclose(out[1], [90, 90, 100, 100])
    # shifted into chip coordinates
    out, keep = crop_labels(boxes, (80, 80, 180, 180), min_visible=0.5)
    np.testing.assert_allclose(out, [[10, 10, 50, 30]])


def test_chip_windows_cover_region_with_full_size_chips():
    wins = chip_windows((0, 0, 300, 260), 128)
    assert all(w[2] - w[0] == 128 and w[3] - w[1] == 128 for w in wins)
    cover = np.zeros((260, 300), dtype=bool)
    for x0, y0, x1, y1 in wins:
        cover[y0:y1, x0:x1] = True
    assert cover.all()


def test_datamodule_label_fraction_subsets_train_only():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (512, 512, 3), dtype=np.uint8)

    def build():
        boxes = np.array([[5, 5, 20, 20.0]])
        return {
            s: make_chips(s, image, boxes, np.zeros(1, dtype=np.int64), [(0, 0, 512, 512)], 128)
            for s in ("train", "val", "test")
        }

    dm = ChipDataModule(build, DetectionInfo(("obj",)))
    dm.setup(0.25, seed=1)
    assert dm.num_samples("train") == 4 and dm.num_samples("test") == 16
    ids = [c.id for c in dm.chips("train")]
    dm.setup(0.25, seed=1)
    assert [c.id for c in dm.chips("train")] == ids
    batch = next(iter(dm.loader("test", 5)))
    assert len(batch["image"]) == 5 and batch["image"][0].shape == (128, 128, 3)
    assert batch["boxes"][0].shape == (1, 4)
