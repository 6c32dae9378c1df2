"""Classical baselines (random forest, LightGBM) behind the ModelAdapter surface."""
