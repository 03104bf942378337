"""Training curves: named loss terms per step or epoch, and dev metrics per epoch.

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes

from serlib.viz.axes import get_axes, readable_label

__all__ = ["plot_history"]

_INDEX_COLUMNS = ("epoch", "step")


def _numeric_columns(df: pd.DataFrame) -> list[str]:
    return [
        c for c in df.columns if c not in _INDEX_COLUMNS and pd.api.types.is_numeric_dtype(df[c])
    ]


def plot_history(history: pd.DataFrame, *, terms: Sequence[str] | None = None,
                 x: str = "step", smooth: int | None = None, dev: pd.DataFrame | None = None,
                 dev_metrics: Sequence[str] | None = None, logy: bool = False,
                 ax: Axes | None = None, title: str | None = None) -> Axes:
    """Plot the named loss terms of a training run (e.g. ``loss``, ``ce``, ``mmd``).

    Args:
        history: one row per training step with columns ``epoch``, ``step`` and one column per
            loss term (the training engine's per-step history).
        terms: the columns to plot; None plots every numeric column but ``epoch``/``step``.
        x: ``"step"`` (one point per step) or ``"epoch"`` (the mean of each epoch).
        smooth: with ``x="step"``, a running mean over this many steps (noisy mini-batches).
        dev: optional per-epoch dev metrics, with an ``epoch`` column (e.g. ``uar``); drawn
            dashed on a second y axis at the last step of each epoch (or at the epoch).
        dev_metrics: the ``dev`` columns to plot; None plots every numeric one.
        logy: logarithmic loss axis.
        ax: Axes to draw on; None makes a new figure.
        title: Axes title.

    Returns:
        The loss Axes (the dev axis, if any, is its twin); one line per term and metric and
        a single legend.

    Chapter: book/07_mmd.md
    """
    if x not in _INDEX_COLUMNS:
        raise ValueError(f"x={x!r} is not one of {_INDEX_COLUMNS}")
    terms = _numeric_columns(history) if terms is None else list(terms)
    missing = [c for c in [x, *terms] if c not in history.columns]
    if missing:
        raise KeyError(f"history has no column(s) {missing}; columns: {list(history.columns)}")
    if not terms:
        raise ValueError("no loss terms to plot: history has no numeric column besides epoch/step")
    if x == "epoch":
        curves = history.groupby("epoch", sort=True)[terms].mean()
    else:
        curves = history.set_index("step")[terms]
        if smooth and smooth > 1:
            curves = curves.rolling(smooth, min_periods=1).mean()
    ax = get_axes(ax, figsize=(6.0, 3.5))
    for term in terms:
        ax.plot(curves.index, curves[term], label=term)
    ax.set_xlabel(x)
    ax.set_ylabel("loss")
    if logy:
        ax.set_yscale("log")
    lines, names = ax.get_legend_handles_labels()
    if dev is not None:
        metrics = _numeric_columns(dev) if dev_metrics is None else list(dev_metrics)
        if "epoch" not in dev.columns or any(m not in dev.columns for m in metrics):
            raise KeyError(f"dev needs an 'epoch' column and {metrics}; has {list(dev.columns)}")
        if x == "epoch":
            where = dev["epoch"]
        else:
            last_step = history.groupby("epoch")["step"].max()
            where = dev["epoch"].map(last_step)
        twin = ax.twinx()
        for i, metric in enumerate(metrics):
            # the twin axis restarts the colour cycle: continue it after the loss terms
            colour = f"C{(len(terms) + i) % 10}"
            twin.plot(
                where, dev[metric], linestyle="--", marker="o", color=colour,
                label=readable_label(metric if metric.startswith("dev") else f"dev_{metric}"),
            )
        twin.set_ylabel("dev metric")
        more_lines, more_names = twin.get_legend_handles_labels()
        lines, names = lines + more_lines, names + more_names
        # the twin is drawn over ``ax``: its legend is the one that stays visible
        twin.legend(lines, names, fontsize="small", loc="center right", framealpha=0.9)
    else:
        ax.legend(lines, names, fontsize="small", loc="best")
    if title:
        ax.set_title(title)
    return ax
