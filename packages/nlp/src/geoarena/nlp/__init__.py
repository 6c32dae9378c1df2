"""geoarena-nlp: offline geoparsing (toponym recognition + resolution against GeoNames) and
geo NER fine-tuning, benchmarked in the GeoArena harness.

Main entry points:

* :class:`geoarena.nlp.gazetteer.Gazetteer` — GeoNames cities/countries/admin1 + Natural Earth
  country polygons in an indexed SQLite store built once from registry packages.
* :class:`geoarena.nlp.geoparser.Geoparser` — recognition + resolution, JSON/GeoJSON output.
* :mod:`geoarena.nlp.corpora` — GeoVirus, LGL, WikToR and GeoWebNews readers.
* :mod:`geoarena.nlp.geo_metrics` — recognition P/R/F1, accuracy@161 km, AUC, bootstrap CIs.
"""
