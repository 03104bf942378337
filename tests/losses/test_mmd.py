"""Tests of serlib.losses.mmd and serlib.losses.kernels against hand values and NumPy loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from serlib.losses import MMDLoss, mmd2, mmd_bandwidths
from serlib.losses.kernels import base_bandwidth, pairwise_sq_dists

# ---------------------------------------------------------------- brute-force NumPy oracle


def np_sigmas(s, t, rule="median", kernel_mul=2.0, num_kernels=5):
    z = np.concatenate([s, t])
    d2 = [np.sum((z[i] - z[j]) ** 2) for i in range(len(z)) for j in range(i + 1, len(z))]
    base2 = np.median(d2) if rule == "median" else np.mean(d2)
    return np.array(
        [math.sqrt(base2 * kernel_mul ** (k - num_kernels // 2)) for k in range(num_kernels)]
    )


def np_k(x, y, sigmas, combine="mean"):
    vals = [math.exp(-np.sum((x - y) ** 2) / (2 * sig**2)) for sig in sigmas]
    return float(np.mean(vals) if combine == "mean" else np.sum(vals))


def np_mmd(s, t, sigmas, estimator="biased", combine="mean"):
    n, m = len(s), len(t)
    if estimator == "linear":
        total = 0.0
        for i in range(n // 2):
            s1, s2, t1, t2 = s[2 * i], s[2 * i + 1], t[2 * i], t[2 * i + 1]
            total += (
                np_k(s1, s2, sigmas, combine)
                + np_k(t1, t2, sigmas, combine)
                - np_k(s1, t2, sigmas, combine)
                - np_k(s2, t1, sigmas, combine)
            )
        return total / (n // 2)
    ss = tt = st_ = 0.0
    for i in range(n):
        for j in range(n):
            if estimator == "biased" or i != j:
                ss += np_k(s[i], s[j], sigmas, combine)
    for i in range(m):
        for j in range(m):
            if estimator == "biased" or i != j:
                tt += np_k(t[i], t[j], sigmas, combine)
    for i in range(n):
        for j in range(m):
            st_ += np_k(s[i], t[j], sigmas, combine)
    if estimator == "biased":
        return ss / n**2 + tt / m**2 - 2 * st_ / (n * m)
    return ss / (n * (n - 1)) + tt / (m * (m - 1)) - 2 * st_ / (n * m)


def _sample(n, m, d=3, shift=0.7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) + shift


# ---------------------------------------------------------------- hand-computed cases


def test_two_points_fixed_bandwidth_matches_formula():
    s = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    t = torch.tensor([[3.0, 4.0]], dtype=torch.float64)  # distance 5
    value = mmd2(s, t, bandwidths=[5.0])
    assert value.item() == pytest.approx(2 - 2 * math.exp(-25 / (2 * 25)))


def test_two_points_median_rule_and_kernel_family_by_hand():
    s = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    t = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    # one pair: σ0² = 25; family of 3 with kernel_mul=2: σ² = 12.5, 25, 50
    value, bw = mmd2(s, t, num_kernels=3, return_bandwidths=True)
    assert bw.tolist() == pytest.approx([math.sqrt(12.5), 5.0, math.sqrt(50.0)])
    k_st = (math.exp(-1.0) + math.exp(-0.5) + math.exp(-0.25)) / 3
    assert value.item() == pytest.approx(2 - 2 * k_st)
    summed = mmd2(s, t, num_kernels=3, kernel_combine="sum")
    assert summed.item() == pytest.approx(3 * (2 - 2 * k_st))


def test_linear_estimator_one_pair_by_hand():
    s = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    t = torch.tensor([[2.0], [4.0]], dtype=torch.float64)
    k = lambda d: math.exp(-(d**2) / 2)  # noqa: E731  (σ = 1)
    # h = k(s1, s2) + k(t1, t2) - k(s1, t2) - k(s2, t1)
    expected = k(1) + k(2) - k(4) - k(1)
    assert mmd2(s, t, bandwidths=[1.0], estimator="linear").item() == pytest.approx(expected)


def test_unbiased_two_by_two_by_hand():
    s = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    t = torch.tensor([[2.0], [4.0]], dtype=torch.float64)
    k = lambda d: math.exp(-(d**2) / 2)  # noqa: E731
    expected = k(1) + k(2) - 2 * (k(2) + k(4) + k(1) + k(3)) / 4
    got = mmd2(s, t, bandwidths=[1.0], estimator="unbiased").item()
    assert got == pytest.approx(expected)


# ---------------------------------------------------------------- NumPy reference


@pytest.mark.parametrize("estimator", ["biased", "unbiased", "linear"])
@pytest.mark.parametrize("rule", ["median", "mean"])
def test_matches_numpy_reference(estimator, rule):
    n, m = (6, 6) if estimator == "linear" else (5, 8)
    s, t = _sample(n, m)
    sig = np_sigmas(s, t, rule)
    got, bw = mmd2(
        torch.from_numpy(s),
        torch.from_numpy(t),
        estimator=estimator,
        bandwidth_rule=rule,
        return_bandwidths=True,
    )
    np.testing.assert_allclose(bw.numpy(), sig, rtol=1e-12)
    assert got.item() == pytest.approx(np_mmd(s, t, sig, estimator), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("combine", ["mean", "sum"])
def test_fixed_bandwidths_match_numpy_reference(combine):
    s, t = _sample(4, 3)
    sig = [0.5, 2.0]
    for est in ("biased", "unbiased"):
        got = mmd2(
            torch.from_numpy(s),
            torch.from_numpy(t),
            bandwidths=sig,
            estimator=est,
            kernel_combine=combine,
        )
        assert got.item() == pytest.approx(np_mmd(s, t, sig, est, combine), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("n", "m"), [(5, 2), (4, 1)])  # 21 pairs (odd), 10 pairs (even)
def test_median_rule_matches_numpy_median(n, m):
    s, t = _sample(n, m)
    bw = mmd_bandwidths(torch.from_numpy(s), torch.from_numpy(t), num_kernels=1)
    np.testing.assert_allclose(bw.numpy(), np_sigmas(s, t, "median", num_kernels=1), rtol=1e-12)


def test_pairwise_sq_dists_matches_loops():
    a, b = _sample(4, 3, d=5)
    got = pairwise_sq_dists(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    want = np.array([[np.sum((x - y) ** 2) for y in b] for x in a])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_base_bandwidth_is_finite_for_identical_points():
    z = torch.ones(3, 2, dtype=torch.float64)
    sq = pairwise_sq_dists(z, z)
    assert base_bandwidth(sq).item() > 0
    assert mmd2(z[:2], z[2:]).item() == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- properties


def test_biased_is_zero_on_identical_sets():
    s, _ = _sample(6, 1)
    x = torch.from_numpy(s)
    assert abs(mmd2(x, x.clone()).item()) < 1e-12


def test_unbiased_is_zero_in_expectation_and_biased_is_not():
    gen = torch.Generator().manual_seed(0)
    unbiased, biased = [], []
    for _ in range(200):
        a = torch.randn(8, 2, generator=gen, dtype=torch.float64)
        b = torch.randn(8, 2, generator=gen, dtype=torch.float64)
        unbiased.append(mmd2(a, b, bandwidths=[1.0], estimator="unbiased").item())
        biased.append(mmd2(a, b, bandwidths=[1.0], estimator="biased").item())
    mean, sem = np.mean(unbiased), np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(mean) < 4 * sem
    assert min(unbiased) < 0  # the U-statistic can go below zero
    assert np.mean(biased) > 10 * sem


def test_unequal_batch_sizes_work_for_quadratic_estimators():
    s, t = _sample(3, 9)
    for est in ("biased", "unbiased"):
        assert torch.isfinite(mmd2(torch.from_numpy(s), torch.from_numpy(t), estimator=est))


def test_linear_rejects_unequal_batch_sizes():
    s, t = _sample(4, 6)
    with pytest.raises(ValueError, match="equal batch sizes"):
        mmd2(torch.from_numpy(s), torch.from_numpy(t), estimator="linear")


def test_linear_with_odd_batch_ignores_the_last_sample():
    s, t = _sample(5, 5)
    s_, t_ = torch.from_numpy(s), torch.from_numpy(t)
    full = mmd2(s_, t_, bandwidths=[1.0], estimator="linear")
    trimmed = mmd2(s_[:4], t_[:4], bandwidths=[1.0], estimator="linear")
    assert full.item() == trimmed.item()


def test_gradient_reaches_features_but_not_bandwidths():
    s, t = _sample(5, 6)
    grads = []
    for fixed in (False, True):
        fs = torch.from_numpy(s).requires_grad_(True)
        ft = torch.from_numpy(t).requires_grad_(True)
        if fixed:
            bw = mmd_bandwidths(fs, ft)
            value = mmd2(fs, ft, bandwidths=bw)
        else:
            value, bw = mmd2(fs, ft, return_bandwidths=True)
            assert not bw.requires_grad
        value.backward()
        assert torch.isfinite(fs.grad).all() and fs.grad.abs().sum() > 0
        grads.append((fs.grad.clone(), ft.grad.clone()))
    # the data-driven bandwidth is a constant for autograd: same gradient as if it were fixed
    torch.testing.assert_close(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1])


def test_gradient_is_finite_on_identical_points():
    x = torch.zeros(4, 3, requires_grad=True)
    mmd2(x[:2], x[2:], estimator="unbiased").backward()
    assert torch.isfinite(x.grad).all()


@settings(max_examples=40, deadline=None)
@given(
    s=arrays(np.float64, st.tuples(st.integers(1, 5), st.just(2)), elements=st.floats(-5, 5)),
    t=arrays(np.float64, st.tuples(st.integers(1, 5), st.just(2)), elements=st.floats(-5, 5)),
    num_kernels=st.integers(1, 4),
)
def test_biased_is_non_negative_and_symmetric(s, t, num_kernels):
    a, b = torch.from_numpy(s), torch.from_numpy(t)
    ab = mmd2(a, b, num_kernels=num_kernels)
    ba = mmd2(b, a, num_kernels=num_kernels)
    assert ab.item() >= -1e-12
    assert ab.item() == pytest.approx(ba.item(), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    s=arrays(np.float64, (4, 2), elements=st.floats(-5, 5)),
    t=arrays(np.float64, (4, 2), elements=st.floats(-5, 5)),
    estimator=st.sampled_from(["unbiased", "linear"]),
)
def test_other_estimators_are_symmetric(s, t, estimator):
    a, b = torch.from_numpy(s), torch.from_numpy(t)
    ab = mmd2(a, b, estimator=estimator, bandwidths=[1.0, 3.0])
    ba = mmd2(b, a, estimator=estimator, bandwidths=[1.0, 3.0])
    assert ab.item() == pytest.approx(ba.item(), abs=1e-12)


# ---------------------------------------------------------------- errors and the module


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimator": "quadratic"}, "estimator='quadratic'"),
        ({"bandwidth_rule": "silverman"}, "bandwidth_rule='silverman'"),
        ({"kernel_combine": "max"}, "kernel_combine='max'"),
        ({"bandwidths": [1.0, -2.0]}, "positive"),
        ({"num_kernels": 0}, "num_kernels"),
    ],
)
def test_bad_options_raise_clear_errors(kwargs, match):
    s, t = _sample(3, 3)
    with pytest.raises(ValueError, match=match):
        mmd2(torch.from_numpy(s), torch.from_numpy(t), **kwargs)


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match="features"):
        mmd2(torch.zeros(3, 2), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="matrices"):
        mmd2(torch.zeros(3, 2, 2), torch.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="at least 2"):
        mmd2(torch.zeros(1, 2), torch.zeros(3, 2), estimator="unbiased")


def test_module_matches_function_and_keeps_no_state():
    s, t = _sample(4, 4)
    a, b = torch.from_numpy(s), torch.from_numpy(t)
    loss_fn = MMDLoss(estimator="unbiased", num_kernels=3)
    assert loss_fn(a, b).item() == mmd2(a, b, estimator="unbiased", num_kernels=3).item()
    assert loss_fn(a, b).item() == loss_fn(a, b).item()
    assert len(loss_fn.state_dict()) == 0
    assert "unbiased" in repr(loss_fn)
    with pytest.raises(ValueError, match="estimator"):
        MMDLoss(estimator="nope")
