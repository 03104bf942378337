"""Tests of serlib.evaluate.permutation (MMD² permutation test)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from serlib.evaluate import mmd_permutation_test
from serlib.losses import mmd2


def _brute_force_mmd2(xs: np.ndarray, xt: np.ndarray, sigmas: tuple[float, ...],
                      biased: bool) -> float:
    def k(a, b):
        d2 = ((a - b) ** 2).sum()
        return np.mean([np.exp(-d2 / (2 * s**2)) for s in sigmas])

    n, m = len(xs), len(xt)
    kss = [k(xs[i], xs[j]) for i in range(n) for j in range(n) if biased or i != j]
    ktt = [k(xt[i], xt[j]) for i in range(m) for j in range(m) if biased or i != j]
    kst = [k(a, b) for a in xs for b in xt]
    return float(np.mean(kss) + np.mean(ktt) - 2 * np.mean(kst))


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_statistic_matches_mmd2_and_a_numpy_reference(estimator):
    rng = np.random.default_rng(0)
    xs, xt = rng.normal(size=(6, 3)), rng.normal(loc=0.5, size=(5, 3))
    test = mmd_permutation_test(xs, xt, n_permutations=20, estimator=estimator)
    expected = float(mmd2(torch.from_numpy(xs), torch.from_numpy(xt), estimator=estimator))
    assert test.statistic == pytest.approx(expected, rel=1e-9)
    ref = _brute_force_mmd2(xs, xt, test.bandwidths, biased=estimator == "biased")
    assert test.statistic == pytest.approx(ref, rel=1e-9)
    assert (test.n_source, test.n_target, test.null.shape) == (6, 5, (20,))


def test_null_values_are_mmd2_of_relabelled_samples():
    """Every null value is the MMD² of some split of the pooled sample into 3 + 3 points."""
    rng = np.random.default_rng(1)
    xs, xt = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    pooled = np.concatenate([xs, xt])
    test = mmd_permutation_test(xs, xt, n_permutations=50, bandwidths=[1.0])
    splits = {round(_brute_force_mmd2(pooled[list(s)], np.delete(pooled, list(s), axis=0),
                                      (1.0,), biased=True), 10)
              for s in itertools.combinations(range(6), 3)}
    assert {round(float(v), 10) for v in test.null} <= splits


def test_p_value_small_for_a_real_shift_and_not_for_none():
    rng = np.random.default_rng(2)
    shifted = mmd_permutation_test(rng.normal(size=(40, 4)), rng.normal(1.0, size=(40, 4)),
                                   n_permutations=200, seed=0)
    assert shifted.p_value == pytest.approx(1 / 201)
    assert shifted.statistic > shifted.null_quantile(0.95)
    same = [mmd_permutation_test(rng.normal(size=(30, 4)), rng.normal(size=(30, 4)),
                                 n_permutations=100, seed=s).p_value for s in range(10)]
    assert np.median(same) > 0.1


def test_deterministic_and_bad_input():
    rng = np.random.default_rng(3)
    xs, xt = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    a = mmd_permutation_test(xs, xt, n_permutations=30, seed=4, chunk=7)
    b = mmd_permutation_test(torch.from_numpy(xs), xt, n_permutations=30, seed=4)
    np.testing.assert_allclose(a.null, b.null)
    with pytest.raises(ValueError, match="at least 2"):
        mmd_permutation_test(xs[:1], xt)
    with pytest.raises(ValueError, match="features"):
        mmd_permutation_test(xs, xt[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        mmd_permutation_test(np.full((3, 2), np.nan), xt)
    with pytest.raises(ValueError, match="linear"):
        mmd_permutation_test(xs, xt, estimator="linear")
    with pytest.raises(ValueError, match="n_permutations"):
        mmd_permutation_test(xs, xt, n_permutations=0)
