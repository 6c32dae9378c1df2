"""Grid chip reader returns exactly the raster's pixels, window by window."""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.transform import from_origin

from geoarena.eo.data.chip_reader import GridChipReader, grid_windows


def test_grid_windows_cover_the_raster_without_partial_chips():
    wins = grid_windows(100, 70, 32)
    assert [w.col_off for w in wins[:4]] == [0, 32, 38, 0]
    assert {(w.height, w.width) for w in wins} == {(32, 32)}
    assert max(w.row_off + w.height for w in wins) == 100
    assert len(grid_windows(64, 64, 32, stride=16)) == 9


def test_reader_batches_match_direct_window_reads(tmp_path):
    path = tmp_path / "s.tif"
    data = np.random.default_rng(0).integers(0, 5000, size=(4, 96, 80), dtype=np.uint16)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=80,
        height=96,
        count=4,
        dtype="uint16",
        crs="EPSG:32616",
        transform=from_origin(0, 0, 1, 1),
        tiled=True,
        blockxsize=32,
        blockysize=32,
    ) as dst:
        dst.write(data)
    reader = GridChipReader(path, size=32, batch_size=5, threads=2, bands=[1, 3])
    seen = 0
    for batch in reader:
        assert batch.data.shape[1:] == (2, 32, 32) and batch.data.dtype == np.uint16
        for chip, w in zip(batch.data, batch.windows):
            r, c = int(w.row_off), int(w.col_off)
            np.testing.assert_array_equal(chip, data[[0, 2], r : r + 32, c : c + 32])
            seen += 1
    assert seen == len(reader) == 9
