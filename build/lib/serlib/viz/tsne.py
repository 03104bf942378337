"""2-d embeddings as scatter plots: colour = emotion, marker = domain (Baklouti et al., Fig. 4).

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from serlib.viz.axes import get_axes

__all__ = ["MARKERS", "plot_tsne"]

#: markers of successive domains (source, target, ...)
MARKERS = ("o", "^", "s", "D", "v", "P", "X")


def _order(values: list[Hashable], given: Sequence[Hashable] | None, name: str) -> list[Hashable]:
    if given is None:
        return sorted(set(values), key=str)
    given = list(given)
    unknown = sorted({str(v) for v in values} - {str(g) for g in given})
    if unknown:
        raise ValueError(f"{name} value(s) {unknown} are not in the given order {given}")
    return given


def plot_tsne(
    coords: Any,
    *,
    emotion: Sequence[Hashable],
    domain: Sequence[Hashable] | None = None,
    labels: Sequence[Hashable] | None = None,
    domains: Sequence[Hashable] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "tab10",
    size: float = 18.0,
) -> Axes:
    """Scatter 2-d coordinates (e.g. :func:`serlib.evaluate.compute_tsne`) by emotion and domain.

    For Baklouti et al.'s before/after figure, call it twice on two Axes of one figure,
    with the same ``labels`` and ``domains`` so that colours and markers match.

    Args:
        coords: the 2-d points.
        emotion: the emotion of each point (colour).
        domain: the domain (e.g. language or corpus) of each point (marker); None: one marker.
        labels: emotion order (fixes the colours); None sorts the emotions present.
        domains: domain order (fixes the markers); None sorts the domains present.
        ax: Axes to draw on; None makes a new figure.
        title: Axes title.
        cmap: a qualitative matplotlib colour map.
        size: marker size (points²).

    Returns:
        The Axes: one scatter collection per (emotion, domain) pair present and a legend with
        one entry per emotion (coloured) and, with ``domain``, one per domain (grey markers).

    Shape:
        coords: (n, 2); emotion: (n,); domain: (n,).

    Chapter: book/07_mmd.md
    """
    if hasattr(coords, "detach"):
        coords = coords.detach().cpu().numpy()
    xy = np.asarray(coords, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"coords must be (n, 2), got shape {xy.shape}")
    emo = list(emotion.tolist() if hasattr(emotion, "tolist") else emotion)
    dom = (
        ["all"] * len(emo)
        if domain is None
        else list(domain.tolist() if hasattr(domain, "tolist") else domain)
    )
    if not len(emo) == len(dom) == xy.shape[0]:
        raise ValueError(f"coords has {xy.shape[0]} points, emotion {len(emo)}, domain {len(dom)}")
    emo_order = _order(emo, labels, "emotion")
    dom_order = _order(dom, domains, "domain")
    if len(dom_order) > len(MARKERS):
        raise ValueError(f"at most {len(MARKERS)} domains can be told apart, got {len(dom_order)}")
    colours = mpl.colormaps[cmap]
    emo_arr, dom_arr = np.array(emo, dtype=object), np.array(dom, dtype=object)
    ax = get_axes(ax, figsize=(5.0, 4.5))
    for i, e in enumerate(emo_order):
        for j, d in enumerate(dom_order):
            mask = (emo_arr == e) & (dom_arr == d)
            if mask.any():
                ax.scatter(
                    xy[mask, 0],
                    xy[mask, 1],
                    color=colours(i % colours.N),
                    marker=MARKERS[j],
                    s=size,
                    alpha=0.8,
                    linewidths=0,
                )
    handles = [
        Line2D([], [], linestyle="", marker="o", color=colours(i % colours.N), label=str(e))
        for i, e in enumerate(emo_order)
    ]
    if domain is not None:
        handles += [
            Line2D([], [], linestyle="", marker=MARKERS[j], color="grey", label=str(d))
            for j, d in enumerate(dom_order)
        ]
    ax.legend(handles=handles, fontsize="small", loc="best", framealpha=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    if title:
        ax.set_title(title)
    return ax
