"""Tests of serlib.losses.hard_pseudo_label (Agarla et al., 2024, Eq. 2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from serlib.losses import HardPseudoLabelLoss, hard_pseudo_label_loss


def np_hard_loss(logits, threshold, normalize):
    """Brute-force reference with loops."""
    total, selected = 0.0, 0
    for row in logits:
        p = np.exp(row - row.max())
        p /= p.sum()
        if p.max() >= threshold:
            k = int(np.argmax(p))
            total += -math.log(p[k])
            selected += 1
    denom = len(logits) if normalize == "batch" else max(1, selected)
    return total / denom, selected


def test_hand_computed_case():
    # row 0: probs (e^2, 1, 1)/(e^2 + 2) -> max ≈ 0.787 ≥ 0.6, label 0
    # row 1: uniform -> max 1/3 < 0.6, not selected
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    loss, mask, labels = hard_pseudo_label_loss(logits, 0.6)
    ce0 = -math.log(math.exp(2) / (math.exp(2) + 2))
    assert mask.tolist() == [True, False]
    assert labels[0].item() == 0
    assert loss.item() == pytest.approx(ce0 / 2)  # "batch": divided by B = 2
    loss_sel, _, _ = hard_pseudo_label_loss(logits, 0.6, normalize="selected")
    assert loss_sel.item() == pytest.approx(ce0)  # "selected": divided by 1


@pytest.mark.parametrize("normalize", ["batch", "selected"])
@pytest.mark.parametrize("threshold", [0.0, 0.4, 0.7, 1.0])
def test_matches_numpy_reference(normalize, threshold):
    logits = np.random.default_rng(3).normal(scale=2.0, size=(12, 5))
    loss, mask, labels = hard_pseudo_label_loss(
        torch.from_numpy(logits), threshold, normalize=normalize
    )
    want, selected = np_hard_loss(logits, threshold, normalize)
    assert loss.item() == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert int(mask.sum()) == selected
    assert labels.tolist() == np.argmax(logits, axis=1).tolist()


def test_all_masked_out_gives_zero_with_gradient():
    logits = torch.zeros(4, 5, requires_grad=True)  # max prob 0.2
    for normalize in ("batch", "selected"):
        loss, mask, _ = hard_pseudo_label_loss(logits, 0.9, normalize=normalize)
        assert not mask.any()
        assert loss.item() == 0.0 and loss.requires_grad
        loss.backward()
        assert torch.equal(logits.grad, torch.zeros_like(logits))


def test_targets_are_detached_and_gradient_flows_to_logits():
    logits = torch.tensor([[3.0, 0.0], [0.0, 2.5]], requires_grad=True)
    loss, mask, labels = hard_pseudo_label_loss(logits, 0.5)
    assert not mask.requires_grad and not labels.requires_grad
    loss.backward()
    probs = logits.detach().softmax(1)
    onehot = torch.nn.functional.one_hot(labels, 2).float()
    torch.testing.assert_close(logits.grad, (probs - onehot) / 2)  # ∂CE/∂z = p − y, / B


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"threshold=1\.5"):
        hard_pseudo_label_loss(torch.zeros(2, 3), 1.5)
    with pytest.raises(ValueError, match="normalize='sum'"):
        hard_pseudo_label_loss(torch.zeros(2, 3), 0.5, normalize="sum")
    with pytest.raises(ValueError, match="logits_u"):
        hard_pseudo_label_loss(torch.zeros(3), 0.5)


def test_module_matches_function():
    logits = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    module = HardPseudoLabelLoss(0.5, normalize="selected")
    got = module(logits)
    want = hard_pseudo_label_loss(logits, 0.5, normalize="selected")
    for a, b in zip(got, want, strict=True):
        assert torch.equal(a, b)
    assert len(module.state_dict()) == 0
    assert "threshold=0.5" in repr(module)
