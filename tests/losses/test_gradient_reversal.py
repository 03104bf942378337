"""Tests of serlib.losses.gradient_reversal and serlib.losses.dann."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from serlib.losses import (
    DomainAdversarialLoss,
    DomainDiscriminator,
    GradientReversal,
    dann_coeff,
    domain_adversarial_loss,
    grad_reverse,
)


@pytest.mark.parametrize("coeff", [0.0, 0.3, 1.0, 2.5])
def test_grad_reverse_is_identity_forward_and_scaled_negation_backward(coeff):
    x = torch.randn(3, 4, requires_grad=True)
    w = torch.randn(3, 4)
    y = grad_reverse(x, coeff)
    assert torch.equal(y, x)
    (y * w).sum().backward()
    torch.testing.assert_close(x.grad, -coeff * w)


def test_module_uses_fixed_or_per_call_coeff():
    layer = GradientReversal(0.5)
    x = torch.ones(2, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.tolist() == [-0.5, -0.5]
    x.grad = None
    layer(x, coeff=2.0).sum().backward()
    assert x.grad.tolist() == [-2.0, -2.0]
    assert len(layer.state_dict()) == 0
    with pytest.raises(ValueError, match="coeff=-1"):
        grad_reverse(x, -1)


def test_dann_coeff_schedule():
    assert dann_coeff(0.0) == 0.0
    assert dann_coeff(1.0) == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert 0.9999 < dann_coeff(1.0) < 1.0
    assert dann_coeff(0.5, gamma=2.0, max_coeff=0.1) == pytest.approx(0.1 * math.tanh(0.5))
    values = [dann_coeff(p) for p in np.linspace(0, 1, 11)]
    assert values == sorted(values)
    with pytest.raises(ValueError, match="progress"):
        dann_coeff(1.5)


def np_bce_balanced(d_s, d_t):
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    loss_s = np.mean([-math.log(sig(z)) for z in d_s])
    loss_t = np.mean([-math.log(1 - sig(z)) for z in d_t])
    acc = 0.5 * (np.mean([z > 0 for z in d_s]) + np.mean([z <= 0 for z in d_t]))
    return 0.5 * (loss_s + loss_t), acc


def test_domain_adversarial_loss_hand_values():
    zero = torch.zeros(3)
    loss, acc = domain_adversarial_loss(zero, torch.zeros(5))
    assert loss.item() == pytest.approx(math.log(2))  # confused discriminator
    # source logit 0 counts as "target": source accuracy 0, target accuracy 1
    assert acc.item() == pytest.approx(0.5)
    d_s = torch.tensor([2.0, -1.0], dtype=torch.float64)
    d_t = torch.tensor([[-3.0], [0.5], [-0.2]], dtype=torch.float64)  # (m, 1) is accepted
    loss, acc = domain_adversarial_loss(d_s, d_t)
    want_loss, want_acc = np_bce_balanced(d_s.tolist(), d_t[:, 0].tolist())
    assert loss.item() == pytest.approx(want_loss)
    assert acc.item() == pytest.approx(want_acc)  # 0.5·(1/2 + 2/3)
    with pytest.raises(ValueError, match="domain_logits_s"):
        domain_adversarial_loss(torch.zeros(2, 2), d_t)


def test_discriminator_shapes_and_adversarial_gradient_sign():
    torch.manual_seed(0)
    disc = DomainDiscriminator(6, hidden=8).eval()
    feats_s = torch.randn(4, 6, requires_grad=True)
    feats_t = torch.randn(3, 6, requires_grad=True)
    assert disc(feats_s).shape == (4,)
    adv = DomainAdversarialLoss(disc)
    loss, acc = adv(feats_s, feats_t, coeff=0.7)
    loss.backward()
    rev_grad = feats_s.grad.clone()
    # without reversal the features would get +grad; with it they get −0.7·grad
    feats_s.grad = None
    plain, _ = domain_adversarial_loss(disc(feats_s), disc(feats_t))
    plain.backward()
    torch.testing.assert_close(rev_grad, -0.7 * feats_s.grad)
    assert 0.0 <= acc.item() <= 1.0
    # the discriminator itself is trained normally (its gradient is not reversed)
    assert all(p.grad is not None for p in disc.parameters())
