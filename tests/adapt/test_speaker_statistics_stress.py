"""Where speaker statistics fail, on the toy stress corpus, and the guards that catch it.

The cases and the guard's threshold come from ``serlib.data.stress`` and
``benchmarks/tta_stress.py`` (synthetic corpus and RAVDESS's dev speakers, never a test
split). Each test asserts a measured behaviour: chapter 9 teaches the same cases.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from serlib.adapt.speaker_centroids import (
    MIN_UTTERANCES,
    SpeakerStatisticsWarning,
    speaker_centroid_scores,
)
from serlib.data.stress import STRESS_CASES, speaker_clusters, stress_subsample
from serlib.features.normalize import MIN_SPEAKER_UTTERANCES, normalize_embeddings

K = 5


def _uar(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean([(pred[y == c] == c).mean() for c in np.unique(y)]))


def _model(x_train, y_train, x):
    """Nearest class mean, as probabilities (a stand-in for a trained classifier)."""
    means = np.stack([x_train[y_train == c].mean(0) for c in range(K)])
    d = ((x[:, None] - means[None]) ** 2).sum(-1)
    return torch.softmax(torch.tensor(-d / (2 * np.sqrt(x.shape[1]))), 1).float()


def _uars(weights, n, seeds=range(6)):
    """UAR of the model with and without per-speaker normalisation, over seeds."""
    out = {"model": [], "speaker": []}
    for seed in seeds:
        xs, ys, ss = speaker_clusters([[1] * K] * 10, [100] * 10, speaker_shift=5.0,
                                      noise=1.5, seed=seed)
        w = [list(np.roll(weights, k)) for k in range(10)]
        xt, yt, st = speaker_clusters(w, [n] * 10, speaker_shift=5.0, noise=1.5, seed=seed)
        out["model"].append(_uar(yt, _model(xs, ys, xt).argmax(1).numpy()))
        zs = normalize_embeddings(torch.tensor(xs), mode="speaker", speakers=ss).numpy()
        zt = normalize_embeddings(torch.tensor(xt), mode="speaker", speakers=st).numpy()
        out["speaker"].append(_uar(yt, _model(zs, ys, zt).argmax(1).numpy()))
    return {k: float(np.mean(v)) for k, v in out.items()}


def test_speaker_normalisation_helps_balanced_speakers():
    r = _uars([1] * K, 20)
    assert r["speaker"] > r["model"] + 0.2  # voice removed: a large gain


def test_speaker_normalisation_of_single_emotion_speakers_falls_to_chance():
    r = _uars([1, 0, 0, 0, 0], 20)  # each speaker shows one emotion
    assert r["speaker"] < 1 / K + 0.05  # the emotion is subtracted with the speaker
    assert r["model"] > 0.5  # the model alone still recognises it


def test_speaker_normalisation_is_hurt_by_an_80_20_skew():
    assert _uars([0.8] + [0.05] * 4, 20)["speaker"] < _uars([1] * K, 20)["speaker"] - 0.25


def test_two_utterances_per_speaker_break_speaker_statistics_and_the_guard_catches_it():
    uars = {"model": [], "unguarded": [], "guarded": []}
    for seed in range(6):
        xs, ys, ss = speaker_clusters([[1] * K] * 10, [100] * 10, speaker_shift=5.0,
                                      noise=1.5, seed=seed)
        xt, yt, st = speaker_clusters([[1] * K] * 10, [2] * 10, speaker_shift=5.0,
                                      noise=1.5, seed=seed)
        uars["model"].append(_uar(yt, _model(xs, ys, xt).argmax(1).numpy()))
        zs = normalize_embeddings(torch.tensor(xs), mode="speaker", speakers=ss).numpy()
        source = torch.tensor(xs).mean(0), torch.tensor(xs).std(0, unbiased=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SpeakerStatisticsWarning)
            zt = normalize_embeddings(torch.tensor(xt), mode="speaker", speakers=st)
            p = _model(zs, ys, zt.numpy())
            uars["unguarded"].append(_uar(yt, speaker_centroid_scores(
                zt, p, st, min_utterances=1).argmax(1).numpy()))
            # guarded: every speaker has 2 < MIN_UTTERANCES utterances -> inductive path
            gs = normalize_embeddings(torch.tensor(xs), mode="speaker", speakers=ss,
                                      min_group=MIN_UTTERANCES, fallback=source)
            gt = normalize_embeddings(torch.tensor(xt), mode="speaker", speakers=st,
                                      min_group=MIN_UTTERANCES, fallback=source)
            pg = _model(gs.numpy(), ys, gt.numpy())
            uars["guarded"].append(_uar(yt, speaker_centroid_scores(gt, pg, st)
                                        .argmax(1).numpy()))
    mean = {k: float(np.mean(v)) for k, v in uars.items()}
    assert mean["unguarded"] < mean["model"] - 0.15  # 2 utterances: worse than no statistics
    assert mean["guarded"] > mean["unguarded"] + 0.15


def test_refinement_guard_keeps_small_speakers_on_the_inductive_path():
    assert MIN_UTTERANCES == MIN_SPEAKER_UTTERANCES >= 3
    f = torch.randn(7, 4)
    p = torch.softmax(torch.randn(7, 3), 1)
    speakers = ["a"] * 5 + ["b"] * 2  # b has 2 utterances: below the guard
    with pytest.warns(SpeakerStatisticsWarning, match="fewer than"):
        scores = speaker_centroid_scores(f, p, speakers, min_utterances=5)
    assert torch.equal(scores[5:], p[5:])  # b's rows are the model's own probabilities
    unguarded = speaker_centroid_scores(f, p, speakers, min_utterances=1)
    assert torch.allclose(scores[:5], unguarded[:5])  # a is refined as before
    with pytest.raises(ValueError, match="min_utterances"):
        speaker_centroid_scores(f, p, speakers, min_utterances=0)


def test_refinement_warns_when_a_speaker_collapses_to_one_class():
    f = torch.tensor([[1.0, 0.0]] * 6)  # six utterances that look the same
    p = torch.tensor([[0.6, 0.4]] * 3 + [[0.4, 0.6]] * 3)  # the model said two classes
    with pytest.warns(SpeakerStatisticsWarning, match="single class"):
        scores = speaker_centroid_scores(f, p, ["a"] * 6, min_utterances=1)
    assert scores.argmax(1).unique().numel() == 1


def test_normalize_embeddings_guard_uses_the_fallback_statistics():
    x = torch.randn(8, 3, dtype=torch.float64) * 3 + 1
    speakers = ["a"] * 6 + ["b"] * 2
    fallback = (torch.zeros(3), torch.ones(3) * 2)
    with pytest.warns(SpeakerStatisticsWarning, match="fewer than 5"):
        out = normalize_embeddings(x, mode="speaker", speakers=speakers, min_group=5,
                                   fallback=fallback)
    assert torch.allclose(out[6:], x[6:] / 2)  # b: the fallback (inductive) statistics
    same = normalize_embeddings(x, mode="speaker", speakers=speakers)
    assert torch.allclose(out[:6], same[:6])  # a: its own statistics, unchanged
    pooled = normalize_embeddings(x, mode="speaker", speakers=speakers, min_group=5)
    a = x[:6]
    assert torch.allclose(pooled[6:], (x[6:] - a.mean(0)) / a.std(0, unbiased=False))


def test_stress_subsample_makes_each_case():
    rows = [(s, e) for s in "abcd" for e in "vwxyz" for _ in range(10)]
    table = pd.DataFrame(rows, columns=["speaker", "emotion"])
    per = {c: stress_subsample(table, c, seed=1).groupby("speaker")["emotion"]
           for c in STRESS_CASES}
    assert len(stress_subsample(table, "balanced")) == len(table)
    assert (per["single_emotion"].nunique() == 1).all()
    assert (per["single_emotion"].first().nunique()) == 4  # a different one per speaker
    assert (per["missing_class"].nunique() == 4).all()
    assert (per["n2"].size() == 2).all() and (per["n2"].nunique() == 2).all()
    assert (per["n5"].nunique() == 5).all() and (per["n10"].size() == 10).all()
    share = per["skew80"].agg(lambda e: e.value_counts(normalize=True).iloc[0])
    assert ((share > 0.75) & (share < 0.85)).all()
    with pytest.raises(ValueError, match="case="):
        stress_subsample(table, "nope")
