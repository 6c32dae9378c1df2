"""Sample-prediction figures for EO tasks (logged by the runner as ``plots/sample_prediction.png``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from geoarena.core.metrics import to_labels


def _display(image: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` z-scores → an ``(H, W[, 3])`` image stretched to 2–98 % for display."""
    x = image[:3] if image.shape[0] >= 3 else image[:1]
    lo, hi = np.percentile(x, [2, 98])
    x = np.clip((x - lo) / max(hi - lo, 1e-6), 0, 1)
    return x.transpose(1, 2, 0) if x.shape[0] == 3 else x[0]


def _as_numpy(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def segmentation_figure(batch: dict[str, Any], prediction: Any, n: int = 4):
    """Rows of image / reference mask / predicted mask for the first ``n`` chips."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = _as_numpy(batch["image"])
    masks = _as_numpy(batch["mask"])
    pred = to_labels(prediction)
    n = min(n, len(images))
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n), squeeze=False)
    for i in range(n):
        img = images[i] if images.ndim == 4 else images[i, -1]
        axes[i, 0].imshow(_display(img), cmap="gray")
        axes[i, 1].imshow(
            np.where(masks[i] == 255, np.nan, masks[i]), vmin=0, vmax=max(1, masks.max() % 255)
        )
        axes[i, 2].imshow(pred[i], vmin=0, vmax=max(1, masks.max() % 255))
        for j, title in enumerate(("image", "reference", "prediction")):
            axes[i, j].set_title(title if i == 0 else "")
            axes[i, j].axis("off")
    fig.tight_layout()
    return fig


def classification_figure(
    batch: dict[str, Any], prediction: Any, class_names: tuple[str, ...] = (), n: int = 8
):
    """The first ``n`` chips titled ``reference → prediction``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = _as_numpy(batch["image"])
    labels = _as_numpy(batch["label"])
    pred = to_labels(prediction)
    n = min(n, len(images))
    fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 2.6), squeeze=False)

    def name(k):
        return class_names[k] if k < len(class_names) else str(k)

    for i in range(n):
        img = images[i] if images.ndim == 4 else images[i, -1]
        axes[0, i].imshow(_display(img), cmap="gray")
        axes[0, i].set_title(
            f"{name(int(labels[i]))}\n→ {name(int(pred[i]))}",
            fontsize=8,
            color="green" if labels[i] == pred[i] else "red",
        )
        axes[0, i].axis("off")
    fig.tight_layout()
    return fig
