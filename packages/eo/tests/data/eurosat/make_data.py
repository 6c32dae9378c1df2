"""Write a tiny EuroSAT-MS copy in the distributed folder format: ``EuroSAT_MS/<Class>/<Class>_<n>.tif``,
13-band uint16 Sentinel-2 GeoTIFFs, 64×64 px in the real files (8×8 here), EPSG:32631.

Run: ``python make_data.py <out_dir>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

CLASSES = (
    "AnnualCrop",
    "Forest",
    "HerbaceousVegetation",
    "Highway",
    "Industrial",
    "Pasture",
    "PermanentCrop",
    "Residential",
    "River",
    "SeaLake",
)


def make_eurosat(root: Path, per_class: int = 5, size: int = 8) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(0)
    base = Path(root) / "EuroSAT_MS"
    for ci, cls in enumerate(CLASSES):
        (base / cls).mkdir(parents=True, exist_ok=True)
        for n in range(1, per_class + 1):
            data = rng.normal(1000 + 100 * ci, 50, size=(13, size, size)).clip(0).astype("uint16")
            with rasterio.open(
                base / cls / f"{cls}_{n}.tif",
                "w",
                driver="GTiff",
                width=size,
                height=size,
                count=13,
                dtype="uint16",
                crs="EPSG:32631",
                transform=from_origin(500000, 5000000, 10, 10),
            ) as dst:
                dst.write(data)
    return base


if __name__ == "__main__":
    print(make_eurosat(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "out")))
