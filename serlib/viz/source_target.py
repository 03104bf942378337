"""Target and source scores side by side, per label budget (Agarla et al., 2024, Fig. 2).

Agarla et al. plot, for each number of labelled target utterances, a coloured bar for the
accuracy on the new language and a narrow black bar for the accuracy on the source language:
what adaptation gains and what it forgets, in one picture. This draws one such panel from a
summary table (one row per group), with the target's interval as error bars.

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from serlib.viz.axes import get_axes

__all__ = ["plot_source_target_bars"]


def plot_source_target_bars(table: pd.DataFrame, *, x: str, target: str = "uar_mean",
                            source: str = "source_uar_mean", low: str | None = None,
                            high: str | None = None, chance: float | None = None,
                            color: str = "tab:blue", label: str = "target",
                            source_label: str = "source", percent: bool = True,
                            ax: Axes | None = None, title: str | None = None) -> Axes:
    """One wide bar (target) and one narrow black bar (source) per row of ``table``.

    Args:
        table: one row per group (aggregate the seeds first), in the order to draw.
        x: the column naming the groups (e.g. ``"n_labels"``).
        target: the column of the target scores (bar heights).
        source: the column of the source scores (narrow black bars).
        low: the column of the target interval's lower bounds (error bars); with ``high``.
        high: the column of the upper bounds.
        chance: the chance level, drawn dashed (None: not drawn).
        color: the target bars' colour.
        label: legend entry of the target bars.
        source_label: legend entry of the source bars.
        percent: the values are fractions: show them × 100.
        ax: Axes to draw on; None makes a new figure.
        title: Axes title.

    Returns:
        The Axes, with ``2 × len(table)`` bars.

    Raises:
        KeyError: a column is missing.
        ValueError: only one of ``low`` and ``high`` is given, or a bound excludes its bar.

    Chapter: book/08_pseudo_labels.md
    """
    columns = [c for c in (x, target, source, low, high) if c is not None]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"table has no column(s) {missing}; columns: {list(table.columns)}")
    if (low is None) != (high is None):
        raise ValueError("give both low and high (the interval's bounds), or neither")
    scale = 100.0 if percent else 1.0
    centres = np.arange(len(table), dtype=np.float64)
    heights = table[target].to_numpy(dtype=np.float64) * scale
    errors = None
    if low is not None and high is not None:
        lo = table[low].to_numpy(dtype=np.float64) * scale
        hi = table[high].to_numpy(dtype=np.float64) * scale
        if (lo > heights + 1e-9).any() or (hi < heights - 1e-9).any():
            raise ValueError(f"the interval [{low}, {high}] must contain {target} in every row")
        errors = np.vstack([heights - lo, hi - heights])
    ax = get_axes(ax, figsize=(max(4.0, 1.1 * len(table) + 2), 3.5))
    ax.bar(centres - 0.12, heights, 0.5, yerr=errors, capsize=3, color=color, label=label)
    ax.bar(centres + 0.24, table[source].to_numpy(dtype=np.float64) * scale, 0.14,
           color="black", label=source_label)
    if chance is not None:
        ax.axhline(chance * scale, color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(centres, [str(v) for v in table[x]])
    ax.set_xlabel(x)
    ax.set_ylabel("UAR (%)" if percent else "UAR")
    ax.set_ylim(0, 100 if percent else 1)
    ax.legend(fontsize="small", loc="lower right")
    if title:
        ax.set_title(title)
    return ax
