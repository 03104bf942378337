"""Grouped bar charts of results, with error bars and chance levels (Agarla et al., Figs. 2–3).

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from serlib.viz.axes import get_axes, readable_label

__all__ = ["plot_metric_bars"]


def _levels(values: pd.Series, order: Sequence[Hashable] | None) -> list[Hashable]:
    return list(pd.unique(values)) if order is None else list(order)


def plot_metric_bars(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    err: str | None = None,
    chance: float | str | None = None,
    order: Sequence[Hashable] | None = None,
    hue_order: Sequence[Hashable] | None = None,
    percent: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Grouped bars of a metric: one group per ``x`` value, one bar per ``hue`` value.

    Args:
        table: a tidy results table with one row per (x, hue) pair, e.g. the output of
            :func:`serlib.evaluate.summarize_seeds` (aggregate the seeds first).
        x: column of the groups (e.g. ``"language"``).
        y: column of the bar heights (e.g. ``"uar_mean"``).
        hue: column of the bars within a group (e.g. ``"method"``); None: one bar per group.
        err: column of the error-bar half-widths (e.g. ``"uar_std"``).
        chance: a chance level drawn as a dashed line: one number for the whole chart, or a
            column name for a level per group (e.g. the WA chance of each test set).
        order: order of the groups; None keeps the order of first appearance.
        hue_order: order of the bars within a group.
        percent: the values are fractions: show them × 100 with a "(%)" axis label.
        ax: Axes to draw on; None makes a new figure.
        title: Axes title.

    Returns:
        The Axes, with ``n_groups × n_hue`` bars (a missing pair is a gap), group names
        on the x axis and a legend of the hue values.

    Raises:
        ValueError: if a (x, hue) pair has more than one row.

    Chapter: book/08_pseudo_labels.md
    """
    columns = [c for c in (x, y, hue, err) if c is not None]
    if isinstance(chance, str):
        columns.append(chance)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"table has no column(s) {missing}; columns: {list(table.columns)}")
    keys = [x] if hue is None else [x, hue]
    if table.duplicated(keys).any():
        raise ValueError(
            f"several rows per {keys}: aggregate the seeds first (serlib.evaluate.summarize_seeds)"
        )
    groups = _levels(table[x], order)
    hues = [None] if hue is None else _levels(table[hue], hue_order)
    scale = 100.0 if percent else 1.0
    width = 0.8 / len(hues)
    centres = np.arange(len(groups), dtype=np.float64)
    ax = get_axes(ax, figsize=(max(4.0, 1.2 * len(groups) * max(1, len(hues)) ** 0.5 + 2), 3.5))
    indexed = table.set_index(keys)
    for k, h in enumerate(hues):
        rows = [(g,) if h is None else (g, h) for g in groups]
        picked = indexed.reindex(pd.MultiIndex.from_tuples(rows) if h is not None else groups)
        heights = picked[y].to_numpy(dtype=np.float64) * scale
        errors = None if err is None else picked[err].to_numpy(dtype=np.float64) * scale
        ax.bar(
            centres + (k - (len(hues) - 1) / 2) * width,
            heights,
            width,
            yerr=errors,
            capsize=3,
            label=None if h is None else str(h),
        )
    if isinstance(chance, str):
        levels = table.drop_duplicates(x).set_index(x)[chance].reindex(groups).to_numpy()
        ax.hlines(
            levels.astype(np.float64) * scale,
            centres - 0.45,
            centres + 0.45,
            colors="black",
            linestyles="dashed",
            linewidth=1,
            label="chance",
        )
    elif chance is not None:
        ax.axhline(chance * scale, color="black", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(centres, [str(g) for g in groups])
    ax.set_xlabel(x)
    ax.set_ylabel(f"{readable_label(y)} (%)" if percent else readable_label(y))
    ax.set_ylim(bottom=0)
    if hue is not None or chance is not None:
        ax.legend(title=hue, fontsize="small")
    if title:
        ax.set_title(title)
    return ax
