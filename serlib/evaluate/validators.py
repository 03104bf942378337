"""Choosing a model without target labels: label-free validators and how well they rank.

Unsupervised domain adaptation has no labelled target data to pick a hyper-parameter or a
method with. The usual stand-ins:

- **source dev**: the candidate that scores best on the labelled source dev split (what the
  engine selects epochs on when it has no target labels). It rewards *not* adapting.
- **prediction entropy** on the unlabelled target (Morerio et al., 2018): confident
  predictions are taken as a sign of a good fit; lower is better. A model that puts every
  utterance in one class is maximally confident, so entropy alone rewards collapse.
- **information maximisation** (IM; Gomes et al., 2010; Shi & Sha, 2012; used as a
  validator by Musgrave et al., 2022): ``IM = H(p̄) − mean_i H(p_i)``, the diversity of
  the predictions (entropy of the mean prediction) minus their average entropy. High when
  each prediction is confident *and* the pool is spread over the classes; a collapsed
  model scores ``≈ 0``.

:func:`choose_by` applies such criteria to a set of candidate runs (one choice per seed),
and :func:`rank_agreement` measures how well a criterion ranks the candidates against their
target test UAR (Spearman's ρ, :func:`rank_correlation`). The target test split is used
for that measurement and for the *oracle* (an upper bound), never to choose a reported
model.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from torch import Tensor

__all__ = ["choose_by", "information_maximization", "label_free_scores",
           "prediction_entropy", "rank_agreement", "rank_correlation"]


def _probs(probs: Tensor | np.ndarray) -> np.ndarray:
    p = probs.detach().cpu().double().numpy() if isinstance(probs, Tensor) else \
        np.asarray(probs, dtype=float)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"probs must be a non-empty (n, C) matrix, got shape {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("probs holds NaN or infinite values: the model's outputs are not "
                         "finite (retrain it or check its weights)")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("every row of probs must be a distribution (softmax the logits "
                         "first)")
    return p


def _entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in nats of each row (0 · log 0 = 0)."""
    logs = np.log(np.where(p > 0, p, 1.0))
    return -(p * logs).sum(axis=-1)


def prediction_entropy(probs: Tensor | np.ndarray) -> float:
    """Mean per-utterance entropy of the predictions, in nats (lower: more confident).

    ``mean_i H(p_i)`` with ``H(p) = −Σ_k p_k log p_k``: 0 for one-hot predictions,
    ``log C`` for uniform ones.

    Shape:
        probs: (n, C); returns a float.

    Chapter: book/09_beyond.md
    """
    return float(_entropy(_probs(probs)).mean())


def information_maximization(probs: Tensor | np.ndarray) -> float:
    """The information-maximisation score ``H(p̄) − mean_i H(p_i)`` (higher is better).

    ``p̄`` is the mean prediction over the pool. The score is the mutual information between
    the utterance and the predicted class under the model; it lies in ``[0, log C]``: ``log
    C`` for confident predictions spread evenly over the classes, 0 for a model that
    predicts the same distribution for every utterance (collapsed or uncertain).

    Shape:
        probs: (n, C); returns a float.

    Chapter: book/09_beyond.md
    """
    p = _probs(probs)
    return float(_entropy(p.mean(axis=0)) - _entropy(p).mean())


def label_free_scores(probs: Tensor | np.ndarray) -> dict[str, float]:
    """What can be measured on unlabelled predictions: confidence, diversity, collapse.

    Returns:
        ``entropy`` (:func:`prediction_entropy`), ``diversity`` (``H(p̄)``), ``im``
        (:func:`information_maximization`) and ``majority_share``, the share of utterances
        predicted as the most frequent class (1.0: every utterance in one class).

    Shape:
        probs: (n, C).

    Chapter: book/09_beyond.md
    """
    p = _probs(probs)
    h = _entropy(p).mean()
    diversity = _entropy(p.mean(axis=0))
    counts = np.bincount(p.argmax(axis=1), minlength=p.shape[1])
    return {"entropy": float(h), "diversity": float(diversity), "im": float(diversity - h),
            "majority_share": float(counts.max() / counts.sum())}


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def rank_correlation(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation ρ of two score lists (ties get their average rank).

    ρ is the Pearson correlation of the ranks: +1 when ``x`` orders the items as ``y``
    does, −1 when it reverses them. It is NaN (undefined) when either list is constant.

    Raises:
        ValueError: the lists differ in length, hold fewer than 2 items, or non-finite values.

    Chapter: book/09_beyond.md
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"x and y must be two lists of the same length, got {a.shape} and "
                         f"{b.shape}")
    if len(a) < 2:
        raise ValueError("a rank correlation needs at least 2 items")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("x and y must be finite (a candidate without a score cannot be "
                         "ranked: drop it first)")
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = np.sqrt((ra ** 2).sum() * (rb ** 2).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else float("nan")


def _check_columns(results: pd.DataFrame, columns: Collection[str]) -> None:
    missing = sorted(set(columns) - set(results.columns))
    if missing:
        raise KeyError(f"columns {missing} are not in the candidate table (it has "
                       f"{list(results.columns)})")


def choose_by(results: pd.DataFrame, criteria: Mapping[str, str], *,
              candidate: str = "candidate", outcome: str = "uar", group: str = "seed",
              lower_is_better: Collection[str] = ()) -> pd.DataFrame:
    """For every group (seed), the candidate each criterion picks, and its outcome.

    Args:
        results: one row per candidate run and group, with the ``candidate`` name, the
            ``group`` column, the ``outcome`` and one column per criterion.
        criteria: display name → column (e.g. ``{"source dev": "dev_uar", "IM": "im"}``).
        candidate: the column naming the candidates.
        outcome: what the choice is judged by (the target test UAR).
        group: one choice per value of this column.
        lower_is_better: the criterion columns where the smallest value wins (e.g.
            ``"entropy"``); ties go to the first row.

    Returns:
        One row per group and criterion: ``group``, ``criterion``, ``chosen`` (the
        candidate), ``outcome`` (its value).

    Chapter: book/09_beyond.md
    """
    _check_columns(results, {candidate, outcome, group, *criteria.values()})
    rows = []
    for key, part in results.groupby(group, sort=True):
        for name, column in criteria.items():
            values = part[column].astype(float)
            if not np.isfinite(values).all():
                raise ValueError(f"criterion {name!r} ({column}) is not finite for every "
                                 f"candidate of {group}={key}")
            best = values.idxmin() if column in lower_is_better else values.idxmax()
            rows.append({group: key, "criterion": name, "chosen": part.loc[best, candidate],
                         outcome: float(part.loc[best, outcome])})
    return pd.DataFrame(rows)


def rank_agreement(results: pd.DataFrame, scores: Mapping[str, str], *,
                   outcome: str = "uar", group: str = "seed",
                   lower_is_better: Collection[str] = ()) -> pd.DataFrame:
    """Spearman's ρ between each score and the outcome over the candidates of each group.

    A column in ``lower_is_better`` is negated first, so ρ = +1 always means "this score
    ranks the candidates as their outcome does".

    Returns:
        One row per group and score: ``group``, ``score``, ``spearman``.

    Chapter: book/09_beyond.md
    """
    _check_columns(results, {outcome, group, *scores.values()})
    rows = []
    for key, part in results.groupby(group, sort=True):
        for name, column in scores.items():
            sign = -1.0 if column in lower_is_better else 1.0
            rho = rank_correlation(sign * part[column].astype(float).to_numpy(),
                                   part[outcome].astype(float).to_numpy())
            rows.append({group: key, "score": name, "spearman": rho})
    return pd.DataFrame(rows)
