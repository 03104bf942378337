"""Speaker-centroid refinement against a NumPy oracle of SHOT's centroid pseudo-labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.adapt import speaker_centroid_scores
from serlib.errors import NonFiniteError


def _oracle(feats: np.ndarray, probs: np.ndarray, speakers: list[str], iters: int) -> np.ndarray:
    """The equations of the module docstring, one speaker at a time, in float64."""
    out = np.zeros_like(probs)
    for s in sorted(set(speakers)):
        rows = np.array([i for i, x in enumerate(speakers) if x == s])
        f = feats[rows] / np.linalg.norm(feats[rows], axis=1, keepdims=True)
        p = probs[rows]
        c = (p.T @ f) / p.sum(0)[:, None]
        sims = f @ (c / np.linalg.norm(c, axis=1, keepdims=True)).T
        for _ in range(iters):
            lab = sims.argmax(1)
            for k in range(p.shape[1]):
                if (lab == k).any():
                    c[k] = f[lab == k].mean(0)
            sims = f @ (c / np.linalg.norm(c, axis=1, keepdims=True)).T
        out[rows] = sims
    return out


@pytest.mark.parametrize("iters", [0, 1, 3])
def test_matches_the_numpy_oracle(iters):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(40, 6))
    probs = rng.dirichlet(np.ones(4), size=40)
    speakers = [f"s{i % 3}" for i in range(40)]
    got = speaker_centroid_scores(torch.tensor(feats), torch.tensor(probs), speakers,
                                  iters=iters)
    assert got.shape == (40, 4)
    np.testing.assert_allclose(got.numpy(), _oracle(feats, probs, speakers, iters), atol=1e-5)


def test_each_speaker_is_refined_on_its_own():
    rng = np.random.default_rng(1)
    feats, probs = torch.tensor(rng.normal(size=(20, 5))), torch.tensor(
        rng.dirichlet(np.ones(3), size=20))
    speakers = ["a"] * 10 + ["b"] * 10
    both = speaker_centroid_scores(feats, probs, speakers)
    alone = speaker_centroid_scores(feats[10:], probs[10:], speakers[10:])
    torch.testing.assert_close(both[10:], alone)


def test_clusters_fix_a_biased_classifier():
    """Two tight clusters, a classifier that prefers class 0 everywhere: refinement gives
    each cluster its own class, as long as the soft centroids differ."""
    rng = np.random.default_rng(2)
    a = rng.normal([3.0, 0.0], 0.2, size=(10, 2))
    b = rng.normal([0.0, 3.0], 0.2, size=(10, 2))
    feats = torch.tensor(np.concatenate([a, b]))
    probs = torch.tensor([[0.8, 0.2]] * 10 + [[0.55, 0.45]] * 10)
    assert probs.argmax(1).tolist() == [0] * 20
    refined = speaker_centroid_scores(feats, probs, ["x"] * 20).argmax(1)
    assert refined.tolist() == [0] * 10 + [1] * 10


def test_a_class_nobody_is_assigned_keeps_its_centroid():
    """Class 2 holds little mass and wins no utterance: its centroid stays the soft one
    (no division by zero), exactly as in the oracle."""
    feats = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1]])
    scores = speaker_centroid_scores(torch.tensor(feats), torch.tensor(probs), ["s"] * 4,
                                     iters=2, min_utterances=1)
    assert torch.isfinite(scores).all() and 2 not in scores.argmax(1).tolist()
    np.testing.assert_allclose(scores.numpy(), _oracle(feats, probs, ["s"] * 4, 2), atol=1e-6)


def test_bad_input_is_named():
    f, p = torch.ones(3, 2), torch.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="speakers"):
        speaker_centroid_scores(f, p, ["a", "b"])
    with pytest.raises(ValueError, match="2-D"):
        speaker_centroid_scores(f[0], p, ["a"] * 3)
    with pytest.raises(ValueError, match="iters"):
        speaker_centroid_scores(f, p, ["a"] * 3, iters=-1)
    with pytest.raises(NonFiniteError, match="feats"):
        speaker_centroid_scores(torch.tensor([[float("nan"), 1.0]] * 3), p, ["a"] * 3)
