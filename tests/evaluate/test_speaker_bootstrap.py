"""Tests of serlib.evaluate.speaker_bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from serlib.evaluate import (
    compute_metrics,
    metrics_with_ci,
    speaker_bootstrap_ci,
    speaker_bootstrap_distribution,
)


def _data(n_speakers=10, per_speaker=30, seed=0):
    """Speakers of different difficulty: each has its own accuracy."""
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"s{i:02d}" for i in range(n_speakers)], per_speaker)
    skill = np.repeat(rng.uniform(0.2, 0.95, n_speakers), per_speaker)
    t = rng.integers(0, 4, speakers.size)
    p = np.where(rng.random(speakers.size) < skill, t, rng.integers(0, 4, speakers.size))
    return t, p, speakers


def test_hand_computed_case_one_resample():
    # two speakers: A right on both of its utterances, B wrong on both
    t, p, who = [0, 1, 0, 1], [0, 1, 1, 0], ["A", "A", "B", "B"]
    rng = np.random.default_rng(5)
    drawn = rng.integers(0, 2, size=(1, 2))[0]  # the same stream as the function
    dist = speaker_bootstrap_distribution(t, p, who, labels=[0, 1], n_boot=1, seed=5)
    right = {"A": 1.0, "B": 0.0}
    expected = np.mean([right["AB"[i]] for i in drawn])  # balanced classes: UAR = WA
    assert dist["uar"][0] == pytest.approx(expected)
    assert dist["wa"][0] == pytest.approx(expected)


def test_matches_a_brute_force_loop():
    t, p, who = _data(n_speakers=6, per_speaker=7)
    dist = speaker_bootstrap_distribution(t, p, who, labels=range(4), n_boot=20, seed=2)
    names = np.unique(who)
    rng = np.random.default_rng(2)
    drawn = rng.integers(0, len(names), size=(20, len(names)))  # first chunk holds all 20
    for k in range(20):
        idx = np.concatenate([np.flatnonzero(who == names[i]) for i in drawn[k]])
        ref = compute_metrics(t[idx], p[idx], labels=range(4))
        for metric in ("wa", "uar", "macro_f1"):
            assert dist[metric][k] == pytest.approx(ref[metric])


def test_wider_than_the_utterance_bootstrap_when_speakers_differ():
    t, p, who = _data()
    low, high = speaker_bootstrap_ci(t, p, who, labels=range(4), n_boot=500)
    utt = metrics_with_ci(t, p, labels=range(4), n_boot=500)
    assert high - low > utt["uar_high"] - utt["uar_low"]
    assert low < compute_metrics(t, p, labels=range(4))["uar"] < high


def test_deterministic_and_one_speaker_gives_a_point():
    t, p, who = _data()
    a = speaker_bootstrap_ci(t, p, who, labels=range(4), n_boot=100, seed=1)
    assert a == speaker_bootstrap_ci(t, p, who, labels=range(4), n_boot=100, seed=1)
    one = ["x"] * len(t)
    low, high = speaker_bootstrap_ci(t, p, one, labels=range(4), n_boot=50)
    point = compute_metrics(t, p, labels=range(4))["uar"]
    assert low == pytest.approx(high) == pytest.approx(point)


def test_bad_inputs():
    with pytest.raises(ValueError, match="speakers has 2 entries"):
        speaker_bootstrap_distribution([0, 1, 0], [0, 1, 1], ["a", "b"], labels=[0, 1])
    with pytest.raises(ValueError, match="n_boot"):
        speaker_bootstrap_distribution([0], [0], ["a"], labels=[0, 1], n_boot=0)
    with pytest.raises(ValueError, match="metric"):
        speaker_bootstrap_ci([0], [0], ["a"], labels=[0, 1], metric="f2")
