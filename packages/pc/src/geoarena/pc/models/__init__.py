"""Point-cloud segmentation models: RandLA-Net-style and PointNet++-style networks in plain
PyTorch, and a random-forest baseline on geometric features."""
