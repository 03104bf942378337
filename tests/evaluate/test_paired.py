"""Paired comparisons: hand-computed cases, a brute-force sign test, the verdict's words."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from serlib.evaluate.paired import paired_comparison, paired_verdict, sign_test


def _rows(diff_by_pair: list[float], base: float = 0.5) -> pd.DataFrame:
    rows = []
    for i, d in enumerate(diff_by_pair):
        fold, seed = divmod(i, 3)
        rows.append({"method": "a", "target": "t", "fold": fold, "seed": seed,
                     "uar": base + d})
        rows.append({"method": "b", "target": "t", "fold": fold, "seed": seed, "uar": base})
    return pd.DataFrame(rows)


def test_sign_test_matches_brute_force():
    diffs = [1, 1, 1, 1, -1, 0, 1, 1]
    n = 7  # the tie is dropped
    k = 1
    # brute force: probability under p = 1/2 of a split at least as extreme, two-sided
    count = sum(1 for signs in itertools.product([0, 1], repeat=n)
                if min(sum(signs), n - sum(signs)) <= k)
    assert sign_test(diffs) == pytest.approx(count / 2 ** n)
    assert sign_test([0, 0]) == 1.0
    assert sign_test([1]) == 1.0


def test_clear_winner_and_interval_excludes_zero():
    res = _rows([0.05, 0.04, 0.06, 0.05, 0.07, 0.03])
    c = paired_comparison(res, "method", "a", "b")
    assert c.n_pairs == 6 and c.n_unmatched == 0
    assert c.mean_diff == pytest.approx(0.05)
    assert 0 < c.low <= c.mean_diff <= c.high
    assert c.verdict == "a" and c.wins == 6 and c.losses == 0
    assert c.p_sign == pytest.approx(2 / 2 ** 6)
    text = paired_verdict(c, names={"a": "TL + MMD", "b": "TL"})
    assert text.startswith("TL + MMD beats TL by 5.0 points of UAR")
    assert "6 fold × seed pairs" in text


def test_mixed_differences_are_not_distinguishable():
    res = _rows([0.05, -0.04, 0.02, -0.03, 0.01, -0.02])
    c = paired_comparison(res, "method", "a", "b")
    assert c.low < 0 < c.high and c.verdict == "tie"
    assert "not distinguishable here" in paired_verdict(c)


def test_b_wins_and_bootstrap_is_reproducible():
    res = _rows([-0.1, -0.08, -0.12, -0.1])
    c1 = paired_comparison(res, "method", "a", "b", seed=3)
    c2 = paired_comparison(res, "method", "a", "b", seed=3)
    assert c1 == c2 and c1.verdict == "b"
    text = paired_verdict(c1)
    assert text.startswith("b beats a by 10.0 points")
    assert "[+" in text  # the interval of b minus a, positive


def test_bootstrap_interval_matches_numpy_oracle():
    diffs = np.array([0.02, 0.05, -0.01, 0.03, 0.04])
    c = paired_comparison(_rows(list(diffs)), "method", "a", "b", n_boot=500, seed=1)
    rng = np.random.default_rng(1)
    draws = rng.integers(0, diffs.size, size=(500, diffs.size))
    low, high = np.percentile(diffs[draws].mean(axis=1), [2.5, 97.5])
    assert (c.low, c.high) == (pytest.approx(low), pytest.approx(high))


def test_unmatched_runs_are_counted_and_one_pair_is_never_a_win():
    res = _rows([0.2])
    extra = pd.DataFrame([{"method": "a", "target": "t", "fold": 9, "seed": 0, "uar": 0.9}])
    c = paired_comparison(pd.concat([res, extra]), "method", "a", "b")
    assert c.n_pairs == 1 and c.n_unmatched == 1 and c.verdict == "tie"


def test_bad_input_names_what_is_wrong():
    res = _rows([0.1, 0.2])
    with pytest.raises(ValueError, match="no results row has method = 'c'"):
        paired_comparison(res, "method", "a", "c")
    with pytest.raises(KeyError, match="'lr'"):
        paired_comparison(res, "lr", "a", "b")
    doubled = pd.concat([res, res])
    with pytest.raises(ValueError, match="several rows per"):
        paired_comparison(doubled, "method", "a", "b")
    nan = res.assign(uar=[math.nan] * len(res))
    with pytest.raises(ValueError, match="shares a split and seed"):
        paired_comparison(nan, "method", "a", "b")
