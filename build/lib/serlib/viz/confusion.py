"""Annotated confusion-matrix heat maps (Baklouti et al., 2024, Figs. 2–3).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from serlib.viz.axes import get_axes

__all__ = ["plot_confusion_matrix"]


def plot_confusion_matrix(
    cm: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    fmt: str | None = None,
    cmap: str = "Blues",
    colorbar: bool = False,
) -> Axes:
    """Draw a confusion matrix with one annotated cell per (true, predicted) pair.

    Args:
        cm: rows = true class, columns = predicted class, as returned by
            :func:`serlib.evaluate.confusion_matrix_df` (row-normalised or counts).
        ax: Axes to draw on; None makes a new figure.
        title: Axes title.
        fmt: format of the cell annotations; None gives ``".2f"`` for fractions and ``"d"``
            for integer counts.
        cmap: matplotlib colour map.
        colorbar: add a colour bar.

    Returns:
        The Axes, with the class names on both axes and "true" / "predicted" as axis labels.
        Values in [0, 1] use a fixed colour scale [0, 1], so two matrices are comparable.

    Chapter: book/06_cross_lingual_gap.md
    """
    values = cm.to_numpy()
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"cm must be a square DataFrame, got shape {values.shape}")
    is_count = np.issubdtype(values.dtype, np.integer)
    fmt = fmt or ("d" if is_count else ".2f")
    ax = get_axes(ax, figsize=(1.0 + 0.8 * values.shape[1], 0.8 + 0.8 * values.shape[0]))
    top = float(values.max()) if values.size else 1.0
    vmax = 1.0 if (not is_count and top <= 1.0) else max(top, 1.0)
    image = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=vmax)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values[i, j]
            ax.text(
                j,
                i,
                format(value, fmt),
                ha="center",
                va="center",
                fontsize="small",
                color="white" if value > 0.6 * vmax else "black",
            )
    n = values.shape[0]
    ax.set_xticks(range(n), [str(c) for c in cm.columns], rotation=45, ha="right")
    ax.set_yticks(range(n), [str(r) for r in cm.index])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return ax
