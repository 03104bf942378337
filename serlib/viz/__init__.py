"""Figures for the book (matplotlib). Every function draws on an optional ``ax`` and returns it.

Chapter: book/06_cross_lingual_gap.md
"""

from serlib.viz.axes import get_axes, readable_label
from serlib.viz.bars import plot_metric_bars
from serlib.viz.confusion import plot_confusion_matrix
from serlib.viz.history import plot_history
from serlib.viz.source_target import plot_source_target_bars
from serlib.viz.spectrogram import mel_band_centres, plot_log_mel
from serlib.viz.tsne import plot_tsne

__all__ = [
    "get_axes",
    "mel_band_centres",
    "plot_confusion_matrix",
    "plot_history",
    "plot_log_mel",
    "plot_metric_bars",
    "plot_source_target_bars",
    "plot_tsne",
    "readable_label",
]
