"""geoarena-pc: point-cloud semantic segmentation of LiDAR.

LAS/LAZ I/O through laspy (lazrs), PLY/PCD through open3d, ASPRS class tables, local geometric
features, spatial stripe folds, RandLA-Net-style and PointNet++-style networks in plain PyTorch, a
random-forest baseline, tiled inference with vote merging, and classified LAS output.

Importing this package is light: torch, open3d and scikit-learn load only where they are used.
"""
