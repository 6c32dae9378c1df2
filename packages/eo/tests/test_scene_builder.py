"""The GeoTIFF-scene + vector-labels builder: reprojection, rasterisation, block splits, errors."""

from __future__ import annotations

import numpy as np
import pytest

from geoarena.core.errors import DataError
from geoarena.eo.data.datamodule import IGNORE_INDEX, ChipDataModule
from geoarena.eo.data.info import RasterInfo
from geoarena.eo.data.scene import SceneSource, SceneTaskSpec, chip_scenes, load_scene
from geoarena.eo.data.splits import assign_blocks, block_ids, stratified_subset

BANDS = ("red", "green", "nir")
SEG = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16, block_chips=2)


def test_labels_in_other_crs_are_reprojected_to_the_raster(scene_files):
    _, utm_mask, _ = load_scene(SceneSource(scene_files["raster"], scene_files["labels_utm"]), SEG)
    _, wgs_mask, valid = load_scene(
        SceneSource(scene_files["raster"], scene_files["labels_wgs84"]), SEG
    )
    # 5 rectangles, 20×16 + 20×32 + 24×16 + 24×28 + 22×14 pixels
    assert utm_mask.sum() == 320 + 640 + 384 + 672 + 308
    assert utm_mask[20, 20] == 1 and utm_mask[50, 50] == 0
    # the round trip through WGS84 moves at most the edge pixels
    assert (utm_mask != wgs_mask).mean() < 0.01
    assert not valid[0, -1] and valid[64, 64]


def test_block_split_keeps_neighbourhoods_together(scene_files):
    chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], SEG)
    assert chips.images.shape[1:] == (3, 16, 16) and chips.images.dtype == np.uint16
    assert chips.targets.shape[1:] == (16, 16)
    for g in np.unique(chips.groups):
        assert len(np.unique(chips.split[chips.groups == g])) == 1
    counts = np.bincount(chips.split, minlength=3)
    assert counts.sum() == len(chips.images) and (counts > 0).all()
    assert abs(counts[0] / counts.sum() - 0.6) < 0.15
    # nodata pixels are ignored in the masks
    assert (chips.targets == IGNORE_INDEX).any()
    again = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], SEG)
    np.testing.assert_array_equal(chips.split, again.split)


def test_assign_blocks_gives_each_split_a_block_and_respects_fractions():
    groups = block_ids(
        np.repeat(np.arange(10), 10), np.tile(np.arange(10), 10), np.zeros(100, int), 2
    )
    assert len(np.unique(groups)) == 25
    split = assign_blocks(groups, (0.6, 0.2, 0.2), seed=3)
    assert np.bincount(split).tolist() == [60, 20, 20]
    assert sorted(assign_blocks(np.array([0, 1, 2]), seed=0).tolist()) == [0, 1, 2]


def test_stratified_subset_is_seeded_and_keeps_every_class():
    idx = np.arange(100)
    strata = (idx % 10 == 0).astype(int)  # 10 positives, 90 negatives
    a = stratified_subset(idx, strata, 0.2, seed=1)
    assert len(a) == 2 + 18 and strata[a].sum() == 2
    np.testing.assert_array_equal(a, stratified_subset(idx, strata, 0.2, seed=1))
    assert not np.array_equal(a, stratified_subset(idx, strata, 0.2, seed=2))
    np.testing.assert_array_equal(stratified_subset(idx, strata, 1.0, seed=5), idx)


def test_classification_chips_are_labelled_by_coverage(scene_files):
    spec = SceneTaskSpec(kind="cls", band_names=BANDS, chip_size=16, coverage_threshold=0.5)
    chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], spec)
    _, mask, _ = load_scene(SceneSource(scene_files["raster"], scene_files["labels_utm"]), spec)
    for i in range(len(chips.targets)):
        r, c = chips.meta["row"][i] * 16, chips.meta["col"][i] * 16
        assert chips.targets[i] == int(mask[r : r + 16, c : c + 16].mean() >= 0.5)
    assert 0 < chips.targets.sum() < len(chips.targets)


def test_datamodule_normalises_with_train_stats_and_subsets_train_only(scene_files):
    chips = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], SEG)
    dm = ChipDataModule(chips, "seg", RasterInfo(band_names=BANDS, input_unit="dn_uint16"))
    dm.setup(1.0, 0)
    train = np.concatenate([b["image"].numpy() for b in dm.loader("train", 8, shuffle=False)])
    valid = chips.valid[chips.indices("train")][:, None].repeat(3, 1)
    means = np.array([train[:, c][valid[:, c]].mean() for c in range(3)])
    stds = np.array([train[:, c][valid[:, c]].std() for c in range(3)])
    np.testing.assert_allclose(means, 0, atol=1e-3)
    np.testing.assert_allclose(stds, 1, atol=1e-3)
    batch = next(iter(dm.loader("val", 4)))
    assert batch["image"].dtype.is_floating_point and batch["image"].shape[1:] == (3, 16, 16)
    assert str(batch["mask"].dtype) == "torch.int64" and batch["mask"].shape[1:] == (16, 16)
    n_val, n_test = dm.num_samples("val"), dm.num_samples("test")
    dm.setup(0.25, 7)
    first = dm.split_indices("train").copy()
    assert len(first) < len(chips.indices("train")) and set(first) <= set(chips.indices("train"))
    assert (dm.num_samples("val"), dm.num_samples("test")) == (n_val, n_test)
    dm.setup(0.25, 7)
    np.testing.assert_array_equal(first, dm.split_indices("train"))
    # shuffled epochs differ but are reproducible for the same seed
    e1 = [b["index"].tolist() for b in dm.loader("train", 4)]
    e2 = [b["index"].tolist() for b in dm.loader("train", 4)]
    dm.setup(0.25, 7)
    assert e1 == [b["index"].tolist() for b in dm.loader("train", 4)] and e1 != e2
    assert dm.info.normalization == "zscore_train_band_stats" and len(dm.info.mean) == 3


@pytest.mark.parametrize(
    ("raster", "labels", "bands", "message"),
    [
        ("corrupt", "labels_utm", BANDS, "corrupt raster"),
        ("raster", "labels_utm", ("red", "green"), "expected 2 bands, found 3"),
        ("raster", "labels_utm", ("red", "green", "infrared"), "unknown band name"),
        ("raster", "labels_elsewhere", BANDS, "do not overlap"),
        ("raster_nocrs", "labels_utm", BANDS, "raster has no CRS"),
        ("raster", "missing", BANDS, "does not exist"),
    ],
)
def test_bad_inputs_raise_data_error_naming_the_file(scene_files, raster, labels, bands, message):
    label_path = scene_files.get(labels, scene_files["raster"].parent / "missing.geojson")
    spec = SceneTaskSpec(kind="seg", band_names=bands, chip_size=16)
    with pytest.raises(DataError, match=message) as err:
        chip_scenes([SceneSource(scene_files[raster], label_path)], spec)
    assert err.value.path is not None and err.value.path.name in str(err.value)


def test_multi_temporal_stack_chips_and_grid_check(scene_files, tmp_path):
    import rasterio

    with rasterio.open(scene_files["raster"]) as src:
        data, profile = src.read(), src.profile
    later = tmp_path / "scene_t2.tif"
    with rasterio.open(later, "w", **profile) as dst:
        dst.write(np.where(data > 0, data + 100, 0).astype(data.dtype))
    stack = SceneSource((scene_files["raster"], later), scene_files["labels_utm"])
    chips = chip_scenes([stack], SEG)
    single = chip_scenes([SceneSource(scene_files["raster"], scene_files["labels_utm"])], SEG)
    assert chips.images.shape == (len(single.images), 2, 3, 16, 16)
    np.testing.assert_array_equal(chips.images[:, 0], single.images)
    np.testing.assert_array_equal(chips.split, single.split)
    dm = ChipDataModule(chips, "seg", RasterInfo(band_names=BANDS))
    dm.setup(1.0, 0)
    batch = next(iter(dm.loader("train", 4)))
    assert batch["image"].shape == (4, 2, 3, 16, 16) and dm.info.n_time_steps == 2
    # the later date is brighter by 100 DN: same std, mean shifted by 50 over both dates
    assert dm.info.in_chans == 3
    shifted = tmp_path / "scene_shifted.tif"
    with rasterio.open(
        shifted,
        "w",
        **{**profile, "transform": profile["transform"] * profile["transform"].translation(3, 0)},
    ) as dst:
        dst.write(data)
    with pytest.raises(DataError, match="does not share the stack's grid") as err:
        chip_scenes([SceneSource((scene_files["raster"], shifted), scene_files["labels_utm"])], SEG)
    assert err.value.path.name == "scene_shifted.tif"


def test_train_negative_sampling_keeps_val_and_test_whole(scene_files):
    src = SceneSource(scene_files["raster"], scene_files["labels_utm"])
    full = chip_scenes([src], SEG)
    spec = SceneTaskSpec(
        kind="seg", band_names=BANDS, chip_size=16, block_chips=2, train_negative_ratio=0.5
    )
    sampled = chip_scenes([src], spec)
    fg = np.array([((m > 0) & (m != IGNORE_INDEX)).any() for m in full.targets])
    train_pos = int(((full.split == 0) & fg).sum())
    assert ((sampled.split == 0) & fg).sum() == train_pos
    assert ((sampled.split == 0) & ~fg).sum() == round(0.5 * train_pos)
    for k in (1, 2):
        np.testing.assert_array_equal(sampled.split == k, full.split == k)
    assert set(np.unique(sampled.split)) == {-1, 0, 1, 2}


def test_aoi_reads_only_its_window_and_masks_pixels_outside_it(scene_files, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Polygon

    # AOI: a triangle over the left 64 columns × top 64 rows, given in WGS84 (reprojected)
    t = _transform(scene_files["raster"])
    tri = Polygon([t * (0, 0), t * (64, 0), t * (0, 64)])
    aoi = gpd.GeoDataFrame(geometry=[tri], crs="EPSG:32616").to_crs("EPSG:4326")
    path = tmp_path / "aoi.geojson"
    aoi.to_file(path, driver="GeoJSON")
    image, mask, valid = load_scene(
        SceneSource(scene_files["raster"], scene_files["labels_utm"], aoi=path), SEG
    )
    full_image, full_mask, _ = load_scene(
        SceneSource(scene_files["raster"], scene_files["labels_utm"]), SEG
    )
    assert 64 <= image.shape[-1] <= 65 and 64 <= image.shape[-2] <= 65
    np.testing.assert_array_equal(image, full_image[:, : image.shape[1], : image.shape[2]])
    np.testing.assert_array_equal(mask, full_mask[: mask.shape[0], : mask.shape[1]])
    assert valid[2, 2] and not valid[60, 60] and abs(valid.mean() - 0.5) < 0.05
    chips = chip_scenes(
        [SceneSource(scene_files["raster"], scene_files["labels_utm"], aoi=path)], SEG
    )
    # 16 px chips of the 64² window: the 6 inside the triangle and the 4 halved by its edge
    assert len(chips.images) == 10 and (chips.targets == IGNORE_INDEX).any()
    assert (chips.meta["row"] + chips.meta["col"] <= 3).all()


def test_aoi_outside_the_raster_or_without_crs_is_refused(scene_files, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(far, driver="GeoJSON")
    with pytest.raises(DataError, match="does not overlap") as err:
        load_scene(SceneSource(scene_files["raster"], scene_files["labels_utm"], aoi=far), SEG)
    assert err.value.path.name == "far.geojson"
    nocrs = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)])
    with pytest.raises(DataError, match="with a CRS"):
        load_scene(SceneSource(scene_files["raster"], scene_files["labels_utm"], aoi=nocrs), SEG)


def _transform(path):
    import rasterio

    with rasterio.open(path) as src:
        return src.transform


def test_train_stride_adds_overlapping_chips_on_train_pixels_only(scene_files):
    src = SceneSource(scene_files["raster"], scene_files["labels_utm"])
    base = chip_scenes([src], SEG)
    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16, block_chips=2, train_stride=8)
    dense = chip_scenes([src], spec)
    n = len(base.split)
    # the grid chips come first, unchanged: same pixels, same splits; val and test gain nothing
    np.testing.assert_array_equal(dense.images[:n], base.images)
    np.testing.assert_array_equal(dense.split[:n], base.split)
    assert (dense.split[n:] == 0).all() and len(dense.split) > n
    # every extra chip's pixels are on grid cells of the train split: rebuild each from the
    # scene and check its four (or two) covering cells
    image, _, _ = load_scene(src, SEG)
    cell_split = {
        (int(r), int(q)): int(k)
        for r, q, k in zip(base.meta["row"], base.meta["col"], base.split, strict=True)
    }
    found = 0
    for r in range(0, image.shape[-2] - 16 + 1, 8):
        for q in range(0, image.shape[-1] - 16 + 1, 8):
            if r % 16 == 0 and q % 16 == 0:
                continue
            cells = {
                (rr, qq) for rr in (r // 16, (r + 15) // 16) for qq in (q // 16, (q + 15) // 16)
            }
            if all(cell_split.get(cell) == 0 for cell in cells):
                chip = image[..., r : r + 16, q : q + 16]
                assert any(np.array_equal(chip, x) for x in dense.images[n:])
                found += 1
    assert found == len(dense.split) - n
    # an extra chip's block is its top-left cell's, so block-level subsets stay consistent
    for g, r, q in zip(dense.groups[n:], dense.meta["row"][n:], dense.meta["col"][n:], strict=True):
        i = np.flatnonzero((base.meta["row"] == r) & (base.meta["col"] == q))[0]
        assert g == base.groups[i]


def test_train_stride_must_be_below_the_chip_size(scene_files):
    src = SceneSource(scene_files["raster"], scene_files["labels_utm"])
    spec = SceneTaskSpec(kind="seg", band_names=BANDS, chip_size=16, block_chips=2, train_stride=32)
    with pytest.raises(DataError, match="train_stride 32"):
        chip_scenes([src], spec)
