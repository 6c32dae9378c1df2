"""MLflow models-from-code entry: the pyfunc model of every GeoArena model (no pickle).

``save_model`` passes this file as ``python_model``; MLflow copies it into the model folder and
runs it on load. The weights and the card are the model's artifacts.
"""

import mlflow.models

from geoarena.serve.mlflow_model import GeoArenaModel

mlflow.models.set_model(GeoArenaModel())
