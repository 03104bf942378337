"""Tests of serlib.evaluate.bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from serlib.evaluate import bootstrap_ci, bootstrap_distribution, compute_metrics, metrics_with_ci


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 4, n)
    p = np.where(rng.random(n) < 0.55, t, rng.integers(0, 4, n))
    return t, p


def test_deterministic_with_seed():
    t, p = _data()
    a = bootstrap_ci(t, p, labels=range(4), n_boot=300, seed=3)
    b = bootstrap_ci(t, p, labels=range(4), n_boot=300, seed=3)
    c = bootstrap_ci(t, p, labels=range(4), n_boot=300, seed=4)
    assert a == b
    assert a != c


@pytest.mark.parametrize("metric", ["wa", "uar", "macro_f1"])
def test_interval_contains_point_estimate(metric):
    t, p = _data()
    low, high = bootstrap_ci(t, p, labels=range(4), metric=metric, n_boot=500)
    point = compute_metrics(t, p, labels=range(4))[metric]
    assert low < point < high
    assert high - low < 0.2  # 300 utterances: a few points either side


def test_resamples_are_scored_like_compute_metrics():
    t, p = _data(n=40)
    dist = bootstrap_distribution(t, p, labels=range(4), n_boot=5, seed=9)
    rng = np.random.default_rng(9)
    idx = rng.integers(0, 40, size=(5, 40))  # same stream: the first chunk holds all 5
    for b in range(5):
        want = compute_metrics(t[idx[b]], p[idx[b]], labels=range(4))
        for key in ("wa", "uar", "macro_f1"):
            assert dist[key][b] == pytest.approx(want[key])


def test_wider_confidence_gives_wider_interval_and_chunks_add_up():
    t, p = _data()
    lo90, hi90 = bootstrap_ci(t, p, labels=range(4), confidence=0.9, n_boot=600)
    lo99, hi99 = bootstrap_ci(t, p, labels=range(4), confidence=0.99, n_boot=600)
    assert lo99 <= lo90 and hi99 >= hi90
    assert bootstrap_distribution(t, p, labels=range(4), n_boot=600)["uar"].shape == (600,)


def test_metrics_with_ci_matches_bootstrap_ci():
    t, p = _data()
    names = np.array(["anger", "fear", "happiness", "sadness"])
    m = metrics_with_ci(names[t], names[p], labels=list(names), n_boot=200, seed=1)
    assert (m["uar_low"], m["uar_high"]) == bootstrap_ci(t, p, labels=range(4), n_boot=200, seed=1)
    for key in ("wa", "uar", "macro_f1"):
        assert m[f"{key}_low"] <= m[key] <= m[f"{key}_high"]
    assert m["n"] == 300


def test_bad_arguments():
    t, p = _data(n=10)
    with pytest.raises(ValueError, match="metric='auc'"):
        bootstrap_ci(t, p, labels=range(4), metric="auc")
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(t, p, labels=range(4), confidence=95)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_ci(t, p, labels=range(4), n_boot=0)
