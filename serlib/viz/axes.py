"""The one helper every plot uses: draw on the caller's Axes, or on a new figure.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["get_axes", "readable_label"]

#: metric names as a reader says them (the rest of a column name is spelled out)
_METRIC_WORDS = {"uar": "UAR", "wa": "WA", "f1": "F1", "ece": "ECE", "im": "IM"}
#: suffixes that summary tables add to a metric column
_SUFFIXES = {"mean": "mean over seeds", "std": "std over seeds", "median": "median"}


def get_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.0)) -> Axes:
    """Return ``ax``, or the Axes of a new figure of size ``figsize`` (inches).

    serlib never calls ``plt.show()``: a notebook shows the figure, a script saves it with
    ``ax.figure.savefig(...)``, and a test closes it with ``plt.close(ax.figure)``.
    """
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def readable_label(column: str) -> str:
    """An axis or legend label for a results column: ``uar_mean`` -> ``UAR, mean over
    seeds``, ``dev_score`` -> ``dev score``, ``source_uar`` -> ``source UAR``.

    Plots label their axes with this, never with the raw column name.
    """
    words = str(column).split("_")
    suffix = _SUFFIXES.get(words[-1]) if len(words) > 1 else None
    if suffix:
        words = words[:-1]
    text = " ".join(_METRIC_WORDS.get(word, word) for word in words)
    return f"{text}, {suffix}" if suffix else text
