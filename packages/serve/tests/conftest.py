from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from serve_synthetic import write_class_cog, write_scene

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def quadrant_scene(tmp_path: Path) -> tuple[Path, Path]:
    """(scene GeoTIFF, class COG with class 1 in the north-east quadrant)."""
    return write_scene(tmp_path / "scene.tif"), write_class_cog(tmp_path / "classes.tif")
