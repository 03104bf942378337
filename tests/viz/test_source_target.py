"""Tests of serlib.viz.source_target."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from serlib.viz import plot_source_target_bars


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"n_labels": ["0", "25", "100"], "uar_mean": [0.4, 0.5, 0.6],
                         "uar_low_mean": [0.3, 0.45, 0.5], "uar_high_mean": [0.5, 0.6, 0.7],
                         "source_uar_mean": [0.8, 0.75, 0.7]})


def test_bars_heights_errors_and_labels(table):
    ax = plot_source_target_bars(table, x="n_labels", low="uar_low_mean",
                                 high="uar_high_mean", chance=0.2, title="hard")
    bars = ax.patches
    assert len(bars) == 6
    assert [round(b.get_height(), 6) for b in bars[:3]] == [40.0, 50.0, 60.0]
    assert [round(b.get_height(), 6) for b in bars[3:]] == [80.0, 75.0, 70.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "25", "100"]
    assert ax.get_title() == "hard" and ax.get_ylim() == (0.0, 100.0)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["chance", "target", "source"]
    plt.close(ax.figure)


def test_interval_must_contain_the_bar_and_come_in_pairs(table):
    with pytest.raises(ValueError, match="both"):
        plot_source_target_bars(table, x="n_labels", low="uar_low_mean")
    with pytest.raises(ValueError, match="contain"):
        plot_source_target_bars(table.assign(uar_low_mean=0.55), x="n_labels",
                                low="uar_low_mean", high="uar_high_mean")
    with pytest.raises(KeyError, match="wa_mean"):
        plot_source_target_bars(table, x="n_labels", target="wa_mean")
    plt.close("all")
