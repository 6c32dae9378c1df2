"""GEO-Bench-2's capability groups are written twice, by layout: the EO package tags its tasks
with them (it may not import the results member) and the results member aggregates published
submissions with them (it may not import a leaf). This test keeps the two copies identical."""

from __future__ import annotations

from geoarena.eo.geobench2.specs import DIMENSIONS, SPECS
from geoarena.results.capability import GEOBENCH2_CAPABILITY_GROUPS, GEOBENCH2_DATASETS


def test_capability_groups_are_the_same_in_eo_and_results():
    assert {g: set(ds) for g, ds in DIMENSIONS.items()} == {
        g: set(ds) for g, ds in GEOBENCH2_CAPABILITY_GROUPS.items()
    }


def test_the_eo_tasks_cover_the_leaderboards_datasets():
    assert {s.name for s in SPECS.values()} >= set(GEOBENCH2_DATASETS)
