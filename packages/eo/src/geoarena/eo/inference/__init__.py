"""Large-scene inference: streaming windowed prediction of GeoTIFF/COG scenes of any size."""

from geoarena.eo.inference.scene import PredictConfig, predict_scene, vectorize_classes

__all__ = ["PredictConfig", "predict_scene", "vectorize_classes"]
