"""GEO-Bench-2's datasets and capability groups, and the dataset ↔ capability-tag mappings.

The groups are the leaderboard's "dimensions": a group score pools a method's normalised runs
over every dataset of the group (see :mod:`geoarena.results.aggregate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: The datasets of the GEO-Bench-2 leaderboard, in its display order.
GEOBENCH2_DATASETS: tuple[str, ...] = (
    "biomassters",
    "so2sat",
    "forestnet",
    "benv2",
    "treesatai",
    "kuro_siwo",
    "dynamic_earthnet",
    "pastis",
    "burn_scars",
    "spacenet2",
    "cloudsen12",
    "fotw",
    "caffe",
    "flair2",
    "spacenet7",
    "substation",
    "everwatch",
    "nzcattle",
    "pastis_r",
)

#: GEO-Bench-2's capability groups ("dimensions" on its leaderboard): group → datasets. The EO
#: package tags its tasks with the same table (tests/test_geobench2_tables_agree.py keeps them equal).
GEOBENCH2_CAPABILITY_GROUPS: dict[str, tuple[str, ...]] = {
    "Core": (
        "kuro_siwo",
        "pastis",
        "burn_scars",
        "cloudsen12",
        "flair2",
        "spacenet7",
        "benv2",
        "treesatai",
        "biomassters",
        "fotw",
        "substation",
        "everwatch",
    ),
    "Multi-Spectral-Dependent": (
        "benv2",
        "biomassters",
        "pastis",
        "so2sat",
        "cloudsen12",
        "spacenet2",
        "burn_scars",
        "fotw",
    ),
    "Multi-Temporal": ("kuro_siwo", "pastis", "biomassters", "dynamic_earthnet"),
    "Pixel-wise": (
        "kuro_siwo",
        "pastis",
        "burn_scars",
        "spacenet2",
        "cloudsen12",
        "caffe",
        "flair2",
        "dynamic_earthnet",
        "biomassters",
        "spacenet7",
        "fotw",
    ),
    "Classification": ("so2sat", "forestnet", "benv2", "treesatai"),
    "Detection (Object/Instance)": ("substation", "everwatch", "nzcattle", "pastis_r"),
    "Under 10m Resolution": ("spacenet2", "treesatai", "flair2", "dynamic_earthnet", "spacenet7"),
    "10m and Above Resolution": (
        "biomassters",
        "so2sat",
        "kuro_siwo",
        "cloudsen12",
        "pastis",
        "benv2",
        "forestnet",
        "burn_scars",
        "caffe",
        "fotw",
    ),
    "RGB/NIR": ("flair2", "treesatai", "dynamic_earthnet", "spacenet7", "fotw"),
}


def capability_tags(
    groups: Mapping[str, Iterable[str]] = GEOBENCH2_CAPABILITY_GROUPS,
) -> dict[str, tuple[str, ...]]:
    """Invert group → datasets into dataset → capability tags (tags in group order)."""
    tags: dict[str, list[str]] = {}
    for group, datasets in groups.items():
        for ds in datasets:
            tags.setdefault(ds, []).append(group)
    return {ds: tuple(t) for ds, t in tags.items()}


def capability_groups(tags: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Invert dataset → capability tags into group → datasets (e.g. from ``Task`` tags)."""
    groups: dict[str, list[str]] = {}
    for ds, ds_tags in tags.items():
        for tag in ds_tags:
            groups.setdefault(tag, []).append(ds)
    return {g: tuple(ds) for g, ds in groups.items()}
