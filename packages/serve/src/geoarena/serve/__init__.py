"""GeoArena serving: MLflow Models of trained cells, the Model Registry, and a map server.

* ``geoarena.serve.mlflow_model`` — the pyfunc flavour (``GeoArenaModel``), ``save_model``,
  ``log_model`` (the runner's model logger) and ``load_predictor``.
* ``geoarena.serve.registry`` — register each task's best cell of a suite under an alias.
* ``geoarena.serve.mapserver`` — TiTiler tiles of a scene and its prediction, and a Leaflet page.
"""
