"""Fast grid chip reading from one large GeoTIFF/COG.

TorchGeo's ``RasterDataset`` answers every chip as a spatial query: an R-tree lookup, a fresh
``rasterio.merge`` over the matching files into a new array, CRS/resolution handling, a tensor.
For the common case — chips on a regular grid of one raster — all of that is fixed overhead. This
reader keeps one open dataset per worker thread, reads each chip as a pixel window straight into
a preallocated batch array (``out=``), and overlaps the reads of several windows in a small thread
pool (GDAL releases the GIL while decoding).

GDAL's block cache is capped, while a batch is read, at the bytes of the block rows one row of
chips spans (``cache_bytes``; never above GDAL's own ``GDAL_CACHEMAX``). A chip of a
pixel-interleaved GeoTIFF is decoded into one cached block per band and copied out; with the
default cache (5 % of RAM) every tile's blocks are fresh allocations — new pages the kernel must
fault in and zero — and the cache grows to the whole file. Capped, GDAL evicts and reuses warm
memory. The cap holds every block row that a row of chips touches, for all bands, so chips that
overlap (``stride < size``) or straddle blocks still find the blocks they share in the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.env import get_gdal_config
from rasterio.windows import Window

from geoarena.core.errors import DataError
from geoarena.eo.data.raster_io import open_raster


def grid_windows(
    height: int, width: int, size: int, stride: int | None = None, cover: bool = True
) -> list[Window]:
    """Row-major windows of ``size`` every ``stride`` px; with ``cover`` the last row/column is
    shifted inwards so that the grid covers the whole raster (no partial windows)."""
    stride = stride or size
    if size > height or size > width:
        raise ValueError(f"window {size} larger than raster {height}×{width}")

    def starts(n: int) -> list[int]:
        s = list(range(0, n - size + 1, stride))
        if cover and s[-1] + size < n:
            s.append(n - size)
        return s

    return [Window(c, r, size, size) for r in starts(height) for c in starts(width)]


def chip_row_cache_bytes(
    size: int, stride: int, block_h: int, height: int, width: int, count: int, itemsize: int
) -> int:
    """Bytes of the block rows that one row of ``size``-pixel chips touches, all ``count`` bands
    (pixel interleave caches every band's block): ``size / block_h`` rows when every chip row,
    the last (shifted to ``height - size``) included, starts on a block boundary, else up to two
    more; at least 1 MiB (GDAL reads small values as megabytes)."""
    aligned = not (size % block_h or stride % block_h or (height - size) % block_h)
    rows = size // block_h + (0 if aligned else 2)
    return max(rows * block_h * width * count * itemsize, 1 << 20)


@dataclass
class ChipBatch:
    """``data``: ``(B, C, size, size)`` raw values; ``windows``: their pixel windows."""

    data: np.ndarray
    windows: list[Window]


class GridChipReader:
    """Iterate batches of grid chips of one raster (see module docstring).

    Args:
        path: GeoTIFF/COG.
        size, stride: chip side and step in pixels.
        batch_size: chips per batch.
        threads: concurrent window reads (one dataset handle per thread).
        bands: 1-based band indexes to read (default: all).
        cache_bytes: GDAL block-cache cap while reading (``None``: the block rows one chip row
            spans, all bands — see module docstring; ``0``: leave GDAL's cache alone).
    """

    def __init__(
        self,
        path: str | Path,
        size: int = 256,
        stride: int | None = None,
        batch_size: int = 16,
        threads: int = 2,
        bands: list[int] | None = None,
        cache_bytes: int | None = None,
    ):
        self.path = Path(path)
        with open_raster(self.path) as src:
            self.height, self.width, self.count = src.height, src.width, src.count
            self.dtype = np.dtype(src.dtypes[0])
            self.profile = dict(src.profile)
            block_h = src.block_shapes[0][0]
        self.bands = bands or list(range(1, self.count + 1))
        if max(self.bands) > self.count:
            raise DataError(f"band {max(self.bands)} requested, raster has {self.count}", self.path)
        self.size, self.batch_size, self.threads = size, batch_size, max(1, threads)
        self.windows = grid_windows(self.height, self.width, size, stride)
        if cache_bytes is None:
            cache_bytes = chip_row_cache_bytes(
                size,
                stride or size,
                block_h,
                self.height,
                self.width,
                self.count,
                self.dtype.itemsize,
            )
        self.cache_bytes = cache_bytes
        self._local = threading.local()
        self._handles: list = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.windows)

    def _src(self):
        src = getattr(self._local, "src", None)
        if src is None:
            src = open_raster(self.path)
            self._local.src = src
            with self._lock:
                self._handles.append(src)
        return src

    def _cache_env(self) -> AbstractContextManager:
        """The GDAL environment one batch is read in: the block cache capped at
        ``cache_bytes`` unless GDAL's current cap is lower already (restored on exit)."""
        current = int(get_gdal_config("GDAL_CACHEMAX") or 0)
        if self.cache_bytes <= 0 or 0 < current <= self.cache_bytes:
            return nullcontext()
        return rasterio.Env(GDAL_CACHEMAX=self.cache_bytes)

    def _read_into(self, out: np.ndarray, window: Window) -> None:
        self._src().read(self.bands, window=window, out=out)

    def __iter__(self) -> Iterator[ChipBatch]:
        c, s = len(self.bands), self.size
        batches = [
            self.windows[i : i + self.batch_size]
            for i in range(0, len(self.windows), self.batch_size)
        ]
        try:
            if self.threads == 1:  # no pool: a hand-off per chip costs more than it overlaps
                for wins in batches:
                    data = np.empty((len(wins), c, s, s), dtype=self.dtype)
                    with self._cache_env():
                        for out, win in zip(data, wins, strict=True):
                            self._read_into(out, win)
                    yield ChipBatch(data, wins)
                return
            with ThreadPoolExecutor(self.threads) as pool:
                for wins in batches:
                    data = np.empty((len(wins), c, s, s), dtype=self.dtype)
                    with self._cache_env():
                        list(pool.map(self._read_into, data, wins))
                    yield ChipBatch(data, wins)
        finally:
            self.close()

    def close(self) -> None:
        with self._lock:
            for h in self._handles:
                h.close()
            self._handles.clear()
        self._local = threading.local()
