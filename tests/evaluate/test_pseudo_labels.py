"""Tests of serlib.evaluate.pseudo_labels (hand-computed cases)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from serlib.evaluate import pseudo_label_curve, pseudo_label_quality
from serlib.losses import hard_pseudo_label_loss

# four utterances, three classes: confidences 0.7, 0.5, 0.9, 0.4; guesses 0, 1, 2, 0
PROBS = torch.tensor([[0.7, 0.2, 0.1],
                      [0.3, 0.5, 0.2],
                      [0.05, 0.05, 0.9],
                      [0.4, 0.3, 0.3]])
Y = torch.tensor([0, 2, 2, 1])  # the guesses of rows 0 and 2 are right


def test_quality_by_hand():
    q = pseudo_label_quality(PROBS, Y, threshold=0.5)
    # rows 0, 1, 2 pass (0.5 >= 0.5); rows 0 and 2 are right
    assert q["share"] == pytest.approx(3 / 4)
    assert q["accuracy"] == pytest.approx(2 / 3)
    assert q["accuracy_all"] == pytest.approx(2 / 4)
    assert q["n_selected"] == 3
    high = pseudo_label_quality(PROBS, Y, threshold=0.8)
    assert high["share"] == pytest.approx(1 / 4) and high["accuracy"] == 1.0


def test_nothing_passes_gives_nan_accuracy_not_zero():
    q = pseudo_label_quality(PROBS, Y, threshold=0.95)
    assert q["share"] == 0.0 and math.isnan(q["accuracy"]) and q["n_selected"] == 0


def test_mask_matches_the_loss():
    logits = torch.log(PROBS)
    for tau in (0.0, 0.45, 0.5, 0.7, 0.9):
        _, mask, _ = hard_pseudo_label_loss(logits, tau)
        assert pseudo_label_quality(PROBS, Y, threshold=tau)["share"] == pytest.approx(
            float(mask.float().mean()), abs=1e-6)


def test_curve_is_monotone_in_share_and_accepts_numpy():
    curve = pseudo_label_curve(PROBS.numpy(), Y.numpy(), [0.0, 0.5, 0.8, 1.0])
    assert curve["threshold"].tolist() == [0.0, 0.5, 0.8, 1.0]
    assert curve["share"].tolist() == pytest.approx([1.0, 0.75, 0.25, 0.0])
    assert curve["n_selected"].tolist() == [4, 3, 1, 0]
    assert np.isnan(curve["accuracy"].iloc[-1])
    assert len(pseudo_label_curve(PROBS, Y)) == 101


@pytest.mark.parametrize("bad", [
    {"probs": torch.zeros(0, 3), "y": torch.zeros(0, dtype=torch.long)},
    {"probs": PROBS, "y": Y[:3]},
    {"probs": PROBS, "y": torch.tensor([0, -1, 2, 1])},
    {"probs": torch.full((4, 3), float("nan")), "y": Y},
])
def test_bad_input_is_refused(bad):
    with pytest.raises(ValueError):
        pseudo_label_quality(bad["probs"], bad["y"], threshold=0.5)


def test_threshold_out_of_range():
    with pytest.raises(ValueError, match="threshold"):
        pseudo_label_quality(PROBS, Y, threshold=1.5)
