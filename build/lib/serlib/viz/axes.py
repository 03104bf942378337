"""The one helper every plot uses: draw on the caller's Axes, or on a new figure.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["get_axes"]


def get_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.0)) -> Axes:
    """Return ``ax``, or the Axes of a new figure of size ``figsize`` (inches).

    serlib never calls ``plt.show()``: a notebook shows the figure, a script saves it with
    ``ax.figure.savefig(...)``, and a test closes it with ``plt.close(ax.figure)``.
    """
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax
