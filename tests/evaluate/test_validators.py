"""Tests of serlib.evaluate.validators (hand-computed cases, NumPy/SciPy references)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from serlib.evaluate import (
    choose_by,
    information_maximization,
    label_free_scores,
    prediction_entropy,
    rank_agreement,
    rank_correlation,
)

LOG2 = math.log(2)


def test_entropy_and_im_by_hand():
    confident_diverse = np.array([[1.0, 0.0], [0.0, 1.0]])
    collapsed = np.array([[1.0, 0.0], [1.0, 0.0]])
    uncertain = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert prediction_entropy(confident_diverse) == pytest.approx(0.0)
    assert prediction_entropy(uncertain) == pytest.approx(LOG2)
    assert information_maximization(confident_diverse) == pytest.approx(LOG2)  # the maximum
    assert information_maximization(collapsed) == pytest.approx(0.0)
    assert information_maximization(uncertain) == pytest.approx(0.0)
    # entropy alone prefers the collapsed model to a hesitant but right one; IM does not
    hesitant = np.array([[0.8, 0.2], [0.2, 0.8]])
    assert prediction_entropy(collapsed) < prediction_entropy(hesitant)
    assert information_maximization(hesitant) > information_maximization(collapsed)


def test_label_free_scores_by_hand_and_torch_input():
    probs = torch.tensor([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    s = label_free_scores(probs)
    assert s["entropy"] == pytest.approx(LOG2 / 4)
    mean = np.array([2.5, 0.5, 1.0]) / 4
    diversity = -(mean * np.log(mean)).sum()
    assert s["diversity"] == pytest.approx(diversity)
    assert s["im"] == pytest.approx(diversity - LOG2 / 4)
    assert s["majority_share"] == pytest.approx(3 / 4)  # argmax of row 0 is class 0


@pytest.mark.parametrize("bad", [np.zeros((0, 3)), np.array([[0.5, 0.6]]),
                                 np.array([[np.nan, 1.0]]), np.array([0.5, 0.5])])
def test_bad_probs_are_refused(bad):
    with pytest.raises(ValueError):
        label_free_scores(bad)


def test_rank_correlation_by_hand_with_ties():
    assert rank_correlation([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # ranks of x: 1.5, 1.5, 3; of y: 1, 2, 3 -> centred (-.5,-.5,1), (-1,0,1): 1.5/sqrt(1.5*2)
    assert rank_correlation([5, 5, 7], [1, 2, 3]) == pytest.approx(1.5 / math.sqrt(3.0))
    assert math.isnan(rank_correlation([1, 1, 1], [1, 2, 3]))


def test_rank_correlation_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 5, 9).astype(float), rng.normal(size=9)
        if len(set(x)) > 1:
            assert rank_correlation(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)


@pytest.mark.parametrize("x, y", [([1, 2], [1, 2, 3]), ([1], [1]), ([1, np.nan], [1, 2])])
def test_rank_correlation_refuses_bad_lists(x, y):
    with pytest.raises(ValueError):
        rank_correlation(x, y)


@pytest.fixture
def candidates() -> pd.DataFrame:
    return pd.DataFrame({
        "candidate": ["a", "b", "c"] * 2,
        "seed": [0, 0, 0, 1, 1, 1],
        "uar": [0.5, 0.7, 0.6, 0.4, 0.8, 0.6],
        "dev_uar": [0.9, 0.8, 0.7, 0.9, 0.7, 0.8],
        "entropy": [0.3, 0.2, 0.1, 0.3, 0.1, 0.2],
    })


def test_choose_by_per_seed(candidates):
    out = choose_by(candidates, {"source dev": "dev_uar", "entropy": "entropy",
                                 "oracle": "uar"}, lower_is_better={"entropy"})
    got = {(r.seed, r.criterion): (r.chosen, r.uar) for r in out.itertuples()}
    assert got[(0, "source dev")] == ("a", 0.5)
    assert got[(0, "entropy")] == ("c", 0.6)
    assert got[(1, "entropy")] == ("b", 0.8)
    assert got[(0, "oracle")] == ("b", 0.7) and got[(1, "oracle")] == ("b", 0.8)


def test_rank_agreement_signs(candidates):
    out = rank_agreement(candidates, {"dev": "dev_uar", "entropy": "entropy"},
                         lower_is_better={"entropy"})
    rho = {(r.seed, r.score): r.spearman for r in out.itertuples()}
    assert rho[(0, "dev")] == pytest.approx(-0.5)  # dev ranks a > b > c; uar b > c > a
    assert rho[(1, "entropy")] == pytest.approx(1.0)  # -entropy ranks b > c > a, as uar


def test_missing_or_non_finite_columns(candidates):
    with pytest.raises(KeyError, match="im"):
        choose_by(candidates, {"IM": "im"})
    bad = candidates.assign(dev_uar=[np.nan, 1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="not finite"):
        choose_by(bad, {"dev": "dev_uar"})
