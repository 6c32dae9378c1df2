"""Small matplotlib figures shared by every task (Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix_figure(cm: np.ndarray, class_names: Sequence[str], title: str = ""):
    """Row-normalised confusion matrix with counts annotated."""
    plt = _plt()
    cm = np.asarray(cm, dtype=np.float64)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    n = len(cm)
    fig, ax = plt.subplots(figsize=(max(3, 0.6 * n + 2), max(3, 0.6 * n + 1.5)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels=list(class_names)[:n], rotation=45, ha="right")
    ax.set_yticks(range(n), labels=list(class_names)[:n])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 20:
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    f"{int(cm[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_title(title or "confusion matrix")
    fig.tight_layout()
    return fig


def segmentation_sample_figure(
    image: np.ndarray, target: np.ndarray, pred: np.ndarray, title: str = ""
):
    """RGB-ish image, ground truth and prediction side by side. ``image`` is (C, H, W)."""
    plt = _plt()
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        img = img[:3] if img.shape[0] >= 3 else np.repeat(img[:1], 3, axis=0)
        img = np.moveaxis(img, 0, -1)
    lo, hi = np.percentile(img, [2, 98])
    img = np.clip((img - lo) / max(hi - lo, 1e-9), 0, 1)
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    for ax, (im, name) in zip(axes, [(img, "image"), (target, "truth"), (pred, "prediction")]):
        ax.imshow(
            im,
            interpolation="nearest",
            **({} if name == "image" else {"cmap": "tab20", "vmin": 0, "vmax": 19}),
        )
        ax.set_title(name)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
