"""Tests of serlib.evaluate.neighbours."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.evaluate import neighbour_share


def test_hand_computed_line():
    # points on a line: a a b b; with k = 1 every point's nearest neighbour is its pair
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    result = neighbour_share(points, ["a", "a", "b", "b"], k=1)
    assert result.share == 1.0 and result.by_group == {"a": 1.0, "b": 1.0}
    assert result.mixed == pytest.approx(1 / 3)  # 2 × 0.5 × 1/3
    assert result.separation == pytest.approx(1.0)
    # k = 2: the pair plus the nearest point of the other group
    assert neighbour_share(points, ["a", "a", "b", "b"], k=2).share == pytest.approx(0.5)


def test_brute_force_reference_and_mixed_groups():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 2))
    groups = rng.choice(["x", "y", "z"], size=60).tolist()
    result = neighbour_share(torch.from_numpy(points), groups, k=5)
    dists = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(dists, np.inf)
    ref = np.mean([np.mean([groups[j] == groups[i] for j in np.argsort(dists[i])[:5]])
                   for i in range(60)])
    assert result.share == pytest.approx(ref)
    assert abs(result.separation) < 0.25  # random groups: close to mixed


def test_k_is_capped_and_bad_input():
    assert neighbour_share(np.eye(3), ["a", "b", "a"], k=10).k == 2
    with pytest.raises(ValueError, match="one group per row"):
        neighbour_share(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="k=0"):
        neighbour_share(np.eye(3), ["a", "b", "a"], k=0)
    with pytest.raises(ValueError, match="NaN"):
        neighbour_share(np.full((3, 2), np.nan), ["a", "b", "a"])
