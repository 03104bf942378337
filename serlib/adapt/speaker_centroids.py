"""Speaker-centroid refinement: each test speaker's utterances re-labelled by their own centroids.

A trained model's predictions on one target speaker are noisy one by one, but the
speaker's utterances of one emotion lie close together (the same voice, the same acted
style). Refinement uses that structure, without labels, at test time: the centroid
pseudo-labelling of SHOT (Liang et al., 2020), run on the utterances of **one
speaker at a time**. With :math:`\\hat f_i = f_i / \\lVert f_i \\rVert` the features of the
speaker's utterances and :math:`p_{ik}` the model's class probabilities:

.. math::

    c_k^{(0)} = \\frac{\\sum_i p_{ik}\\, \\hat f_i}{\\sum_i p_{ik}},\\qquad
    \\hat y_i^{(t)} = \\arg\\max_k \\cos\\big(\\hat f_i, c_k^{(t)}\\big),\\qquad
    c_k^{(t+1)} = \\frac{1}{|\\{i: \\hat y_i^{(t)} = k\\}|}\\sum_{i:\\, \\hat y_i^{(t)} = k}
    \\hat f_i

The first centroids are the model's soft class means; each step assigns every utterance to
its nearest centroid and recomputes the centroids from those assignments (a class that
receives no utterance keeps its centroid). SHOT runs one such step (``iters=1``, the
default here). The result is the cosine similarity of every utterance to the final
centroids of its speaker: its argmax is the refined label.

What it assumes, and why it is honest: the speaker of each test utterance is known and
several of their utterances are at hand (the ``speaker`` normalisation of the cpu profile
assumes the same); no label is read and nothing is selected on the test split.

Where it fails (measured in ``benchmarks/tta_stress.py`` and ``tests/adapt``; chapter 9,
"When speaker statistics fail"): it works best when each speaker shows every class several
times. The soft centroids start from the model's class masses, so a class the speaker never
shows still gets a centroid and draws utterances away from the classes they do show; a
speaker with one emotion, one class missing or an 80/20 skew loses accuracy that the model
alone had, and with a handful of utterances per speaker the centroids are the utterances
themselves. Two guards: a speaker with fewer than ``min_utterances`` utterances keeps the
model's probabilities (the inductive path), and a :class:`SpeakerStatisticsWarning` says so,
and also when refinement turns a speaker's varied predictions into a single class.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

from serlib.errors import NonFiniteError
from serlib.features.normalize import MIN_SPEAKER_UTTERANCES, SpeakerStatisticsWarning

__all__ = ["MIN_UTTERANCES", "SpeakerStatisticsWarning", "speaker_centroid_scores"]

#: a speaker with fewer utterances is not refined (chosen on the synthetic stress corpus and
#: RAVDESS's dev speakers, never on a test split; see benchmarks/tta_stress.py)
MIN_UTTERANCES = MIN_SPEAKER_UTTERANCES

_EPS = 1e-8  # guards the norms of all-zero features and the mass of a class nobody holds


def _unit(x: Tensor) -> Tensor:
    """Rows scaled to unit length. Shape: x (n, dim); returns (n, dim)."""
    return x / x.norm(dim=1, keepdim=True).clamp(min=_EPS)


def _refine_group(f: Tensor, p: Tensor, iters: int) -> Tensor:
    """Cosine similarities to the refined centroids of one speaker.

    Shape:
        f: (m, dim) unit features; p: (m, num_classes); returns (m, num_classes).
    """
    centroids = (p.T @ f) / p.sum(dim=0)[:, None].clamp(min=_EPS)  # (num_classes, dim)
    sims = f @ _unit(centroids).T  # (m, num_classes)
    for _ in range(iters):
        assigned = sims.argmax(dim=1)  # (m,)
        onehot = torch.nn.functional.one_hot(assigned, p.shape[1]).to(f.dtype)  # (m, classes)
        counts = onehot.sum(dim=0)  # (num_classes,)
        hard = (onehot.T @ f) / counts[:, None].clamp(min=1)  # (num_classes, dim)
        centroids = torch.where(counts[:, None] > 0, hard, centroids)
        sims = f @ _unit(centroids).T
    return sims


def speaker_centroid_scores(feats: Tensor, probs: Tensor, speakers: Sequence[str], *,
                            iters: int = 1, min_utterances: int = MIN_UTTERANCES) -> Tensor:
    """Refined class scores: cosine similarity to the speaker's own class centroids.

    Args:
        feats: the representation the classifier reads, one row per utterance.
        probs: the model's class probabilities for the same utterances.
        speakers: the speaker of each utterance (refinement runs per speaker).
        iters: assignment/re-centring steps after the soft centroids (SHOT: 1; 0 keeps
            the soft centroids).
        min_utterances: a speaker with fewer utterances is not refined: their rows keep
            ``probs`` (the inductive path), with a :class:`SpeakerStatisticsWarning`
            (1: refine everyone).

    Returns:
        Scores in [-1, 1] (cosines; the model's probabilities for unrefined speakers);
        ``scores.argmax(1)`` are the refined labels.

    Raises:
        ValueError: the inputs disagree in length, are not 2-D, or ``iters < 0``.
        NonFiniteError: ``feats`` or ``probs`` hold NaN or infinite values.

    Shape:
        feats: (n, dim); probs: (n, num_classes); returns (n, num_classes).

    Example:
        >>> f = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
        >>> p = torch.tensor([[0.6, 0.4], [0.4, 0.6], [0.3, 0.7], [0.4, 0.6]])
        >>> speaker_centroid_scores(f, p, ["a"] * 4).argmax(1).tolist()
        [0, 0, 1, 1]
    """
    if feats.ndim != 2 or probs.ndim != 2:
        raise ValueError(f"feats {tuple(feats.shape)} and probs {tuple(probs.shape)}: both "
                         "must be 2-D (utterances × features, utterances × classes)")
    if not len(feats) == len(probs) == len(speakers):
        raise ValueError(f"{len(feats)} feature rows, {len(probs)} probability rows and "
                         f"{len(speakers)} speakers: give one of each per utterance")
    if iters < 0:
        raise ValueError(f"iters={iters}: use 0 or more")
    if min_utterances < 1:
        raise ValueError(f"min_utterances={min_utterances}: use 1 or more")
    for name, x in (("feats", feats), ("probs", probs)):
        if not bool(torch.isfinite(x).all()):
            raise NonFiniteError(f"speaker-centroid refinement: {name} hold non-finite "
                                 "values; the model's outputs are corrupt (retrain it)")
    f, p = _unit(feats.float()), probs.float()
    out = torch.empty(len(f), p.shape[1])
    rows: dict[str, list[int]] = {}
    for i, s in enumerate(speakers):
        rows.setdefault(str(s), []).append(i)
    skipped, collapsed = [], []
    for speaker, index in rows.items():
        idx = torch.tensor(index)
        if len(index) < min_utterances:
            out[idx] = p[idx]
            skipped.append(speaker)
            continue
        out[idx] = _refine_group(f[idx], p[idx], iters)
        if len(index) > 1 and out[idx].argmax(1).unique().numel() == 1 \
                and p[idx].argmax(1).unique().numel() > 1:
            collapsed.append(speaker)
    if skipped:
        warnings.warn(f"speaker-centroid refinement: {len(skipped)} speaker(s) with fewer "
                      f"than {min_utterances} utterances kept the model's predictions "
                      f"({skipped[:3]}...)", SpeakerStatisticsWarning, stacklevel=2)
    if collapsed:
        warnings.warn(f"speaker-centroid refinement gave {len(collapsed)} speaker(s) a "
                      f"single class ({collapsed[:3]}...): refinement assumes each speaker "
                      "shows several emotions; check these speakers",
                      SpeakerStatisticsWarning, stacklevel=2)
    return out
