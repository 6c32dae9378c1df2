"""GEO-Bench-2 on GeoArena: tortilla reader, dataset facts, tasks and the ``geobench2`` suite."""
