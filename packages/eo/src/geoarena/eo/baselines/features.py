"""Hand-made features for classical baselines: per-pixel bands + spectral indices (+ local
texture) for segmentation, per-chip band statistics for classification."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from geoarena.eo.band_catalogue import band_index

#: index name → (band role a, band role b): index = (a - b) / (a + b)
SPECTRAL_INDICES: dict[str, tuple[str, str]] = {
    "ndvi": ("nir", "red"),
    "ndwi": ("green", "nir"),
    "ndbi": ("swir1", "nir"),
}


def spectral_indices(raw: np.ndarray, band_names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Normalised-difference indices computable from ``band_names`` on raw values ``(N, C, H, W)``.

    Indices need physical (un-normalised) values: z-scores would change their sign.
    """
    bands = tuple(band_names)
    out, names = [], []
    for name, (ra, rb) in SPECTRAL_INDICES.items():
        ia, ib = band_index(bands, ra), band_index(bands, rb)
        if ia is None or ib is None:
            continue
        a, b = raw[:, ia].astype(np.float32), raw[:, ib].astype(np.float32)
        out.append((a - b) / np.maximum(np.abs(a + b), 1e-6))
        names.append(name)
    if not out:
        return np.zeros((raw.shape[0], 0, *raw.shape[2:]), np.float32), []
    return np.stack(out, 1), names


def denormalise(x: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    return (
        x * np.asarray(std, np.float32)[:, None, None] + np.asarray(mean, np.float32)[:, None, None]
    )


def pixel_features(
    x: np.ndarray,
    band_names: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
    texture: Sequence[int] = (5, 15),
) -> np.ndarray:
    """``(N, C, H, W)`` normalised chips → ``(N, F, H, W)``: bands, spectral indices, and local
    mean/std/edge density of the band average in windows of ``texture`` pixels (context a pixel classifier
    otherwise lacks)."""
    idx, _ = spectral_indices(denormalise(x, mean, std), band_names)
    feats = [x.astype(np.float32), idx]
    lum = x.mean(1)
    gy, gx = np.gradient(lum, axis=(1, 2))
    edges = np.sqrt(gx**2 + gy**2)
    for size in texture:
        feats.append(ndimage.uniform_filter(edges, size=(1, size, size), mode="reflect")[:, None])
        m = ndimage.uniform_filter(lum, size=(1, size, size), mode="reflect")
        sq = ndimage.uniform_filter(lum**2, size=(1, size, size), mode="reflect")
        feats.append(np.stack([m, np.sqrt(np.maximum(sq - m**2, 0))], 1))
    return np.concatenate(feats, 1)


def chip_statistics(
    x: np.ndarray, band_names: Sequence[str], mean: Sequence[float], std: Sequence[float]
) -> np.ndarray:
    """``(N, C, H, W)`` normalised chips → ``(N, F)``: per band mean, std, 10/50/90th
    percentiles and mean gradient magnitude, plus mean and std of each spectral index."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    pct = np.percentile(flat, [10, 50, 90], axis=2).transpose(1, 2, 0).reshape(n, -1)
    gy, gx = np.gradient(x, axis=(2, 3))
    grad = np.sqrt(gx**2 + gy**2).reshape(n, c, -1).mean(2)
    idx, _ = spectral_indices(denormalise(x, mean, std), band_names)
    ifl = idx.reshape(n, idx.shape[1], -1) if idx.shape[1] else np.zeros((n, 0, 1), np.float32)
    return np.concatenate(
        [flat.mean(2), flat.std(2), pct, grad, ifl.mean(2), ifl.std(2)], 1
    ).astype(np.float32)
