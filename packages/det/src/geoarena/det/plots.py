"""Figures for detection runs: prediction overlays and precision–recall curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from geoarena.det.boxes import as_hbb, as_poly, hbb_to_poly


def overlay_figure(
    batch: dict[str, Any],
    pred: list[dict[str, Any]],
    box_type: str = "hbb",
    max_images: int = 4,
    score_min: float = 0.25,
):
    """Ground truth (green) and predictions above ``score_min`` (red) on the first images."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    n = min(max_images, len(batch["image"]))
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 4), squeeze=False)
    to_poly = (lambda b: hbb_to_poly(as_hbb(b))) if box_type == "hbb" else as_poly
    for ax, img, gt, p in zip(axes[0], batch["image"][:n], batch["boxes"][:n], pred[:n]):
        ax.imshow(img)
        for q in to_poly(gt):
            ax.add_patch(Polygon(q, closed=True, fill=False, ec="lime", lw=1))
        scores = np.asarray(p["scores"])
        for q in to_poly(p["boxes"])[scores >= score_min]:
            ax.add_patch(Polygon(q, closed=True, fill=False, ec="red", lw=1))
        ax.set_axis_off()
        ax.set_title(
            f"gt {len(gt)} / pred≥{score_min} {int((scores >= score_min).sum())}", fontsize=9
        )
    fig.tight_layout()
    return fig


def pr_curve_figure(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str = "PR curve @ IoU 0.5"
):
    """COCO-interpolated precision against recall, one line per class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, (r, p) in curves.items():
        ax.plot(r, p, label=f"{name} (AP {p.mean():.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def learning_curve_figure(history: list[dict[str, float]], title: str = "learning curve"):
    """Per-epoch losses and validation metrics from an adapter's history."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = [h["epoch"] for h in history]
    for key in sorted({k for h in history for k in h if k.startswith("train/")}):
        a1.plot(epochs, [h.get(key, np.nan) for h in history], label=key)
    for key in sorted({k for h in history for k in h if k.startswith("val/")}):
        a2.plot(epochs, [h.get(key, np.nan) for h in history], label=key)
    a1.set_xlabel("epoch")
    a2.set_xlabel("epoch")
    a1.legend(fontsize=7)
    a2.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
