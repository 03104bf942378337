"""Tests of serlib.evaluate.tsne."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.evaluate import compute_tsne, tsne_perplexity


def test_shape_and_determinism_on_tiny_data():
    feats = np.random.default_rng(0).normal(size=(12, 5))
    a = compute_tsne(feats, seed=1)
    b = compute_tsne(torch.from_numpy(feats), seed=1)
    assert a.shape == (12, 2) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all()


def test_perplexity_rule():
    assert tsne_perplexity(12) == pytest.approx(11 / 3)
    assert tsne_perplexity(91) == 30.0
    assert tsne_perplexity(1000, 50.0) == 50.0
    with pytest.raises(ValueError, match="at least 4"):
        tsne_perplexity(3)


def test_one_feature_and_bad_input():
    assert compute_tsne(np.arange(6.0)[:, None]).shape == (6, 2)
    with pytest.raises(ValueError, match="matrix"):
        compute_tsne(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        compute_tsne(np.full((5, 2), np.nan))
