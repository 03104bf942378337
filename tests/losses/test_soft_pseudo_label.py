"""Tests of the soft pseudo-label loss and its regularisers (Agarla et al., 2024, Eqs. 1, 3–5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from serlib.losses import (
    SoftPseudoLabelLoss,
    entropy_regularizer,
    prior_regularizer,
    soft_cross_entropy,
    soft_pseudo_label_loss,
)


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_prior_reg(probs, prior):
    mean = [sum(probs[b, c] for b in range(len(probs))) / len(probs) for c in range(len(prior))]
    return sum(p * math.log(p / h) for p, h in zip(prior, mean, strict=True) if p > 0)


def np_entropy_reg(probs):
    total = 0.0
    for row in probs:
        total += -sum(p * math.log(p) for p in row if p > 0)
    return total / len(probs)


def np_soft_ce(logits, targets):
    logp = np.log(np_softmax(logits))
    return float(np.mean([-np.dot(t, lp) for t, lp in zip(targets, logp, strict=True)]))


# ---------------------------------------------------------------- regularisers by hand


def test_uniform_predictions():
    probs = torch.full((4, 5), 0.2, dtype=torch.float64)
    assert prior_regularizer(probs).item() == pytest.approx(0.0, abs=1e-15)
    assert entropy_regularizer(probs).item() == pytest.approx(math.log(5))


def test_one_hot_predictions():
    probs = torch.eye(3, dtype=torch.float64)  # balanced batch of confident predictions
    assert entropy_regularizer(probs).item() == 0.0
    assert prior_regularizer(probs).item() == pytest.approx(0.0, abs=1e-15)
    collapsed = torch.tensor([[1.0, 0.0]] * 3, dtype=torch.float64)  # all in one class
    assert entropy_regularizer(collapsed).item() == 0.0
    assert math.isfinite(prior_regularizer(collapsed).item())
    assert prior_regularizer(collapsed).item() > 100  # 0.5·log(0.5/tiny) is huge


def test_two_class_hand_example():
    probs = torch.tensor([[0.9, 0.1], [0.5, 0.5]], dtype=torch.float64)
    # mean prediction (0.7, 0.3); uniform prior (0.5, 0.5)
    r_a = 0.5 * math.log(0.5 / 0.7) + 0.5 * math.log(0.5 / 0.3)
    r_h = (-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)) + math.log(2)) / 2
    assert prior_regularizer(probs).item() == pytest.approx(r_a)
    assert entropy_regularizer(probs).item() == pytest.approx(r_h)
    # a non-uniform prior equal to the mean prediction gives 0
    prior = torch.tensor([0.7, 0.3], dtype=torch.float64)
    assert prior_regularizer(probs, prior).item() == pytest.approx(0.0, abs=1e-15)


def test_regularisers_match_numpy_reference():
    probs = np_softmax(np.random.default_rng(1).normal(size=(7, 4)))
    prior = np.array([0.1, 0.2, 0.3, 0.4])
    t = torch.from_numpy(probs)
    assert prior_regularizer(t, torch.from_numpy(prior)).item() == pytest.approx(
        np_prior_reg(probs, prior), rel=1e-12
    )
    assert entropy_regularizer(t).item() == pytest.approx(np_entropy_reg(probs), rel=1e-12)


def test_prior_with_zero_entry_contributes_nothing():
    probs = torch.tensor([[0.6, 0.4], [0.2, 0.8]], dtype=torch.float64)
    prior = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert prior_regularizer(probs, prior).item() == pytest.approx(-math.log(0.4))


def test_bad_prior():
    probs = torch.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="shape"):
        prior_regularizer(probs, torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="sum to 1"):
        prior_regularizer(probs, torch.tensor([0.5, 0.5, 0.5]))


# ---------------------------------------------------------------- the loss


def test_soft_cross_entropy_hand_case_and_one_hot_equivalence():
    logits = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    targets = torch.tensor([[0.25, 0.75]], dtype=torch.float64)
    assert soft_cross_entropy(logits, targets).item() == pytest.approx(math.log(2))
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 2, 1, 1, 0])
    onehot = torch.nn.functional.one_hot(y, 3).float()
    torch.testing.assert_close(
        soft_cross_entropy(z, onehot), torch.nn.functional.cross_entropy(z, y)
    )
    with pytest.raises(ValueError, match="sum to 1"):
        soft_cross_entropy(z, onehot * 2)


def test_loss_matches_numpy_reference_with_given_targets():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 4))
    targets = np_softmax(rng.normal(size=(6, 4)))
    loss, terms = soft_pseudo_label_loss(
        torch.from_numpy(logits), torch.from_numpy(targets), lambda_prior=0.8, lambda_entropy=0.4
    )
    probs = np_softmax(logits)
    ce = np_soft_ce(logits, targets)
    r_a = np_prior_reg(probs, [0.25] * 4)
    r_h = np_entropy_reg(probs)
    assert terms["ce"].item() == pytest.approx(ce, rel=1e-10)
    assert terms["prior"].item() == pytest.approx(r_a, rel=1e-10)
    assert terms["entropy"].item() == pytest.approx(r_h, rel=1e-10)
    assert loss.item() == pytest.approx(ce + 0.8 * r_a + 0.4 * r_h, rel=1e-10)
    assert not any(v.requires_grad for v in terms.values())


def test_self_targets_ce_has_value_of_entropy_but_no_gradient():
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(4), requires_grad=True)
    loss, terms = soft_pseudo_label_loss(logits, lambda_prior=0.0, lambda_entropy=0.0)
    assert terms["ce"].item() == pytest.approx(terms["entropy"].item())
    loss.backward()
    assert logits.grad.abs().max().item() < 1e-6


def test_regularisers_drive_the_gradient():
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(4), requires_grad=True)
    loss, _ = soft_pseudo_label_loss(logits)
    loss.backward()
    assert logits.grad.abs().max().item() > 1e-3


def test_module_matches_function():
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(5))
    prior = torch.tensor([0.5, 0.25, 0.25])
    module = SoftPseudoLabelLoss(prior=prior, lambda_prior=1.0, lambda_entropy=0.1)
    got, _ = module(logits)
    want, _ = soft_pseudo_label_loss(logits, prior=prior, lambda_prior=1.0, lambda_entropy=0.1)
    assert got.item() == want.item()
    assert len(module.state_dict()) == 0
