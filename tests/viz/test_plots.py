"""Tests of serlib.viz: every function runs headless on tiny inputs and returns its Axes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from serlib.evaluate import confusion_matrix_df, summarize_seeds
from serlib.viz import (
    mel_band_centres,
    plot_confusion_matrix,
    plot_history,
    plot_log_mel,
    plot_metric_bars,
    plot_tsne,
)

LABELS = ["anger", "happiness", "sadness"]


@pytest.fixture(autouse=True)
def _close_figures():
    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)
    assert set(plt.get_fignums()) == before


def _legend_texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ---------------------------------------------------------------- confusion matrix


def test_confusion_matrix_labels_and_annotations():
    cm = confusion_matrix_df(
        ["anger", "anger", "sadness"], ["anger", "sadness", "sadness"], labels=LABELS
    )
    ax = plot_confusion_matrix(cm, title="cm")
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [t.get_text() for t in ax.get_xticklabels()] == LABELS
    assert [t.get_text() for t in ax.get_yticklabels()] == LABELS
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts[:3] == ["0.50", "0.00", "0.50"]
    assert ax.get_title() == "cm"
    assert ax.images[0].get_clim() == (0.0, 1.0)
    plt.close(ax.figure)


def test_confusion_matrix_counts_use_integer_format_and_given_axes():
    fig, axes = plt.subplots(1, 2)
    cm = confusion_matrix_df([0, 1, 1], [0, 1, 0], labels=[0, 1], normalize=None)
    out = plot_confusion_matrix(cm, ax=axes[1], colorbar=True)
    assert out is axes[1]
    assert [t.get_text() for t in out.texts] == ["1", "0", "1", "1"]
    assert len(fig.axes) == 3  # two panels and the colour bar
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(pd.DataFrame(np.zeros((2, 3))), ax=axes[0])
    plt.close(fig)


# ---------------------------------------------------------------- log-mel


def test_log_mel_axes_in_seconds_and_bands():
    spec = np.random.default_rng(0).normal(size=(8, 50))
    ax = plot_log_mel(spec, sample_rate=16000, hop_length=160, title="x")
    image = ax.images[0]
    assert image.get_extent() == pytest.approx([0.0, 0.5, -0.5, 7.5])  # 50 · 10 ms
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "mel band"
    assert len(ax.figure.axes) == 2  # with its colour bar
    plt.close(ax.figure)


def test_log_mel_in_hz_and_band_centres():
    spec = np.zeros((16, 10))
    ax = plot_log_mel(spec, sample_rate=16000, hop_length=160, f_min=60, f_max=7800, colorbar=False)
    assert ax.get_ylabel() == "frequency (Hz)"
    labels = [float(t.get_text()) for t in ax.get_yticklabels()]
    assert labels == sorted(labels) and 60 < labels[0] < labels[-1] < 7800
    assert len(ax.figure.axes) == 1
    plt.close(ax.figure)
    # Slaney scale: 1 kHz is mel 15; 0–2 kHz has its single centre at mel(2 kHz) / 2
    mel_2k = 15 + math.log(2.0) * 27 / math.log(6.4)
    assert mel_band_centres(1, 0.0, 2000.0)[0] == pytest.approx(200 / 3 * mel_2k / 2)
    with pytest.raises(ValueError, match="f_min"):
        plot_log_mel(spec, sample_rate=16000, hop_length=160, f_min=60)


def test_band_centres_match_librosa():
    librosa = pytest.importorskip("librosa")
    want = librosa.mel_frequencies(66, fmin=60.0, fmax=7800.0)[1:-1]
    np.testing.assert_allclose(mel_band_centres(64, 60.0, 7800.0), want, rtol=1e-10)


# ---------------------------------------------------------------- t-SNE scatter


def test_tsne_colour_by_emotion_marker_by_domain():
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(12, 2))
    emotion = ["anger", "sadness", "happiness"] * 4
    domain = ["en"] * 6 + ["de"] * 6
    ax = plot_tsne(coords, emotion=emotion, domain=domain, labels=LABELS, domains=["en", "de"])
    assert len(ax.collections) == 6  # 3 emotions × 2 domains present
    assert _legend_texts(ax) == [*LABELS, "en", "de"]
    # same emotion -> same colour across domains
    colours = [tuple(c.get_facecolor()[0]) for c in ax.collections]
    assert colours[0] == colours[1] and colours[0] != colours[2]
    plt.close(ax.figure)


def test_tsne_side_by_side_without_domain():
    fig, axes = plt.subplots(1, 2)
    coords = np.arange(8.0).reshape(4, 2)
    for a, name in zip(axes, ("before", "after"), strict=True):
        out = plot_tsne(coords, emotion=np.array([0, 1, 1, 0]), ax=a, title=name)
        assert out is a and len(a.collections) == 2
        assert _legend_texts(a) == ["0", "1"]
    with pytest.raises(ValueError, match="not in the given order"):
        plot_tsne(coords, emotion=[0, 1, 2, 0], labels=[0, 1], ax=axes[0])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_tsne(np.zeros((4, 3)), emotion=[0] * 4, ax=axes[0])
    plt.close(fig)


# ---------------------------------------------------------------- history


@pytest.fixture
def history() -> pd.DataFrame:
    steps = np.arange(12)
    return pd.DataFrame(
        {
            "epoch": steps // 4,
            "step": steps,
            "loss": 2.0 - 0.1 * steps,
            "ce": 1.5 - 0.1 * steps,
            "mmd": 0.5 + 0.0 * steps,
        }
    )


def test_history_per_step_with_dev_metrics(history):
    dev = pd.DataFrame({"epoch": [0, 1, 2], "uar": [0.3, 0.4, 0.5]})
    ax = plot_history(history, dev=dev, smooth=3, title="run")
    assert [line.get_label() for line in ax.get_lines()] == ["loss", "ce", "mmd"]
    twin = next(a for a in ax.figure.axes if a is not ax)
    assert ax.get_legend() is None  # one legend, on the twin, drawn over both
    assert _legend_texts(twin) == ["loss", "ce", "mmd", "dev UAR"]
    assert twin.get_lines()[0].get_xdata().tolist() == [3, 7, 11]  # last step of each epoch
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    plt.close(ax.figure)


def test_history_per_epoch_means_and_term_selection(history):
    ax = plot_history(history, terms=["ce"], x="epoch", logy=True)
    (line,) = ax.get_lines()
    assert line.get_xdata().tolist() == [0, 1, 2]
    np.testing.assert_allclose(line.get_ydata(), [1.35, 0.95, 0.55])
    assert ax.get_yscale() == "log"
    with pytest.raises(KeyError, match="nope"):
        plot_history(history, terms=["nope"], ax=ax)
    with pytest.raises(ValueError, match="x='time'"):
        plot_history(history, x="time", ax=ax)
    plt.close(ax.figure)


# ---------------------------------------------------------------- bars


def test_metric_bars_grouped_with_errors_and_chance():
    runs = pd.DataFrame(
        {
            "language": ["de", "de", "fr", "fr", "de", "fr"],
            "method": ["tl", "tl", "tl", "tl", "mmd", "mmd"],
            "uar": [0.4, 0.6, 0.5, 0.5, 0.55, 0.45],
        }
    )
    table = summarize_seeds(runs, by=["language", "method"], metrics=["uar"])
    ax = plot_metric_bars(
        table, x="language", y="uar_mean", hue="method", err="uar_std", chance=0.2
    )
    assert len(ax.patches) == 4  # 2 languages × 2 methods
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [45.0, 50.0, 50.0, 55.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["de", "fr"]
    assert _legend_texts(ax) == ["chance", "tl", "mmd"]
    assert ax.get_ylabel() == "UAR, mean over seeds (%)"  # never the raw column name
    chance_line = next(ln for ln in ax.get_lines() if ln.get_label() == "chance")
    assert chance_line.get_ydata()[0] == pytest.approx(20.0)
    plt.close(ax.figure)


def test_metric_bars_single_series_with_chance_per_group():
    table = pd.DataFrame({"language": ["de", "fa"], "wa": [0.6, 0.3], "chance": [0.25, 0.2]})
    fig, ax = plt.subplots()
    out = plot_metric_bars(table, x="language", y="wa", chance="chance", percent=False, ax=ax)
    assert out is ax and len(ax.patches) == 2
    assert [p.get_height() for p in ax.patches] == [0.6, 0.3]
    assert len(ax.collections) == 1  # the dashed chance segments, one per group
    segments = ax.collections[0].get_segments()
    assert [seg[0][1] for seg in segments] == [0.25, 0.2]
    assert _legend_texts(ax) == ["chance"]
    with pytest.raises(ValueError, match="aggregate"):
        plot_metric_bars(pd.concat([table, table]), x="language", y="wa", ax=ax)
    with pytest.raises(KeyError, match="uar"):
        plot_metric_bars(table, x="language", y="uar", ax=ax)
    plt.close(fig)


@pytest.mark.parametrize(("column", "label"), [
    ("uar_mean", "UAR, mean over seeds"), ("dev_score", "dev score"),
    ("source_uar", "source UAR"), ("uar", "UAR"), ("chance_uar_std", "chance UAR, std over seeds")])
def test_readable_labels_never_show_a_raw_column_name(column: str, label: str) -> None:
    from serlib.viz import readable_label

    assert readable_label(column) == label
