"""How good are a model's pseudo-labels? Coverage and accuracy at a confidence threshold.

Hard pseudo-labelling (Agarla et al., 2024, Eq. 2) trains on ``argmax p`` for the unlabelled
utterances whose confidence ``max p`` reaches a threshold ``τ``. Two numbers decide whether
that helps: the **share** of the pool that passes ``τ`` (how much the model learns from) and
the **accuracy** of the pseudo-labels that pass (how much of it is wrong). The learner never
knows the second; a book that keeps the hidden labels can measure both, after every epoch
(a probe of :func:`serlib.train.fit`) or for a whole range of thresholds at once.

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from torch import Tensor

__all__ = ["pseudo_label_curve", "pseudo_label_quality"]


def _checked(probs: Tensor | np.ndarray, y: Tensor | np.ndarray) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    p = probs.detach().cpu().numpy() if isinstance(probs, Tensor) else np.asarray(probs)
    t = y.detach().cpu().numpy() if isinstance(y, Tensor) else np.asarray(y)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"probs must be a non-empty (n, C) matrix, got shape {p.shape}")
    if t.shape != (p.shape[0],):
        raise ValueError(f"y has shape {t.shape}; expected ({p.shape[0]},), one hidden label "
                         "per utterance")
    if not np.isfinite(p).all():
        raise ValueError("probs holds NaN or infinite values: the model's outputs are not "
                         "finite (retrain it or check its weights)")
    if (t < 0).any() or (t >= p.shape[1]).any():
        raise ValueError(f"y holds class ids outside 0..{p.shape[1] - 1} (hidden labels -1? "
                         "give the pool's true labels, not the learner's view)")
    return p, t.astype(np.int64)


def pseudo_label_quality(probs: Tensor | np.ndarray, y: Tensor | np.ndarray, *,
                         threshold: float) -> dict[str, float]:
    """Share of the pool whose confidence reaches ``threshold``, and their accuracy.

    With ``c_i = max_k p_ik`` and ``ỹ_i = argmax_k p_ik``, the mask is ``g_i = 1[c_i ≥ τ]``
    (the same ``≥`` as :func:`serlib.losses.hard_pseudo_label_loss`):

    - ``share = mean(g)``;
    - ``accuracy = Σ g_i 1[ỹ_i = y_i] / Σ g_i`` (NaN when nothing passes: undefined, not 0);
    - ``accuracy_all``: the accuracy of every pseudo-label, ``τ = 0``;
    - ``n_selected = Σ g_i``.

    Args:
        probs: class probabilities on the unlabelled pool (rows of a softmax).
        y: the pool's hidden labels (class ids).
        threshold: the confidence threshold ``τ`` in [0, 1].

    Shape:
        probs: (n, C); y: (n,); returns floats.

    Raises:
        ValueError: empty or non-finite ``probs``, labels out of range, ``τ`` outside [0, 1].

    Chapter: book/08_pseudo_labels.md
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold={threshold} must lie in [0, 1]")
    p, t = _checked(probs, y)
    confidence, guess = p.max(axis=1), p.argmax(axis=1)
    mask = confidence >= threshold
    correct = guess == t
    n_selected = int(mask.sum())
    return {"share": float(mask.mean()),
            "accuracy": float(correct[mask].mean()) if n_selected else float("nan"),
            "accuracy_all": float(correct.mean()),
            "n_selected": float(n_selected)}


def pseudo_label_curve(probs: Tensor | np.ndarray, y: Tensor | np.ndarray,
                       thresholds: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
    """:func:`pseudo_label_quality` for many thresholds: the coverage–accuracy trade-off.

    Args:
        probs: class probabilities on the unlabelled pool.
        y: the pool's hidden labels.
        thresholds: the ``τ`` values; None: 0, 0.01, …, 1.

    Returns:
        One row per threshold: ``threshold``, ``share``, ``accuracy``, ``n_selected``.

    Shape:
        probs: (n, C); y: (n,).

    Chapter: book/08_pseudo_labels.md
    """
    grid = np.linspace(0.0, 1.0, 101) if thresholds is None else np.asarray(thresholds, float)
    p, t = _checked(probs, y)
    rows = []
    for tau in grid:
        q = pseudo_label_quality(p, t, threshold=float(tau))
        rows.append({"threshold": float(tau), "share": q["share"], "accuracy": q["accuracy"],
                     "n_selected": int(q["n_selected"])})
    return pd.DataFrame(rows)
