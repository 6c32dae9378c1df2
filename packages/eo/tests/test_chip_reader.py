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


def test_cache_cap_is_the_block_rows_of_one_chip_row():
    from geoarena.eo.data.chip_reader import chip_row_cache_bytes

    # chips on the 256² tile grid: one tile row, all 6 bands (4096 × 256 × 6 × 2 bytes)
    assert chip_row_cache_bytes(256, 256, 256, 4096, 4096, 6, 2) == 12_582_912
    # overlapping or misaligned chip rows span up to two more block rows
    assert chip_row_cache_bytes(256, 128, 256, 4096, 4096, 6, 2) == 3 * 12_582_912
    assert chip_row_cache_bytes(256, 256, 256, 4000, 4096, 6, 2) == 3 * 12_582_912
    # never below 1 MiB: GDAL reads values below 100000 as megabytes
    assert chip_row_cache_bytes(32, 32, 32, 96, 80, 4, 2) == 1 << 20


def test_cache_cap_applies_while_reading_and_is_restored(tmp_path):
    from rasterio.env import get_gdal_config

    path = tmp_path / "s.tif"
    data = np.random.default_rng(1).integers(0, 5000, size=(3, 96, 96), dtype=np.uint16)
    profile = dict(
        driver="GTiff",
        width=96,
        height=96,
        count=3,
        dtype="uint16",
        crs="EPSG:32616",
        transform=from_origin(0, 0, 1, 1),
    )
    with rasterio.open(path, "w", tiled=True, blockxsize=32, blockysize=32, **profile) as dst:
        dst.write(data)
    before = get_gdal_config("GDAL_CACHEMAX")
    seen_caps = []

    class Probe(GridChipReader):
        def _read_into(self, out, window):
            seen_caps.append(get_gdal_config("GDAL_CACHEMAX"))
            super()._read_into(out, window)

    for threads in (1, 2):  # overlapping chips (stride 16): identical to direct window reads
        reader = Probe(path, size=32, stride=16, batch_size=7, threads=threads)
        assert reader.cache_bytes == 1 << 20
        for batch in reader:
            for chip, w in zip(batch.data, batch.windows):
                r, c = int(w.row_off), int(w.col_off)
                np.testing.assert_array_equal(chip, data[:, r : r + 32, c : c + 32])
    assert set(seen_caps) == {1 << 20} and len(seen_caps) == 2 * 25
    assert get_gdal_config("GDAL_CACHEMAX") == before
    GridChipReader(path, size=32, cache_bytes=0)._cache_env().__enter__()  # no cap: untouched
    assert get_gdal_config("GDAL_CACHEMAX") == before
