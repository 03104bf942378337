"""The two regularisers of soft pseudo-labelling (Agarla et al., 2024, Eqs. 3–4).

Both take class probabilities (rows of a softmax), not logits, as in the paper.

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["check_prior", "entropy_regularizer", "prior_regularizer"]


def _safe_log(x: Tensor) -> Tensor:
    # log of probabilities; exact zeros give a large finite number instead of -inf, so that
    # 0·log 0 = 0 and gradients stay finite
    return x.clamp_min(torch.finfo(x.dtype).tiny).log()


def _check_probs(probs: Tensor) -> None:
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise ValueError(f"probs must be a non-empty (B, C) matrix, got {tuple(probs.shape)}")


def check_prior(prior: Tensor | None, num_classes: int, like: Tensor) -> Tensor:
    """Return ``prior`` as a tensor like ``like`` (uniform ``1/C`` if None), after checking it.

    Raises:
        ValueError: if the prior does not have ``num_classes`` non-negative entries summing to 1.
    """
    if prior is None:
        return torch.full((num_classes,), 1.0 / num_classes, dtype=like.dtype, device=like.device)
    prior = torch.as_tensor(prior, dtype=like.dtype, device=like.device)
    if prior.shape != (num_classes,):
        raise ValueError(f"prior has shape {tuple(prior.shape)}, expected ({num_classes},)")
    if prior.is_cuda:  # checked on the device: no host sync in every training step
        torch._assert_async((prior >= 0).all() & ((prior.sum() - 1.0).abs() <= 1e-4),
                            "prior must be non-negative and sum to 1")
    elif bool((prior < 0).any()) or abs(float(prior.sum()) - 1.0) > 1e-4:
        raise ValueError(f"prior={prior.tolist()} must be non-negative and sum to 1")
    return prior


def prior_regularizer(probs: Tensor, prior: Tensor | None = None) -> Tensor:
    """Prior (class-balance) regulariser ``R_A`` (Tanaka et al., 2018), Agarla et al. (2024), Eq. 3.

    .. math::

        R_A = \\sum_{c=1}^{C} p_c \\log \\frac{p_c}{\\bar h_c},
        \\qquad \\bar h_c = \\frac{1}{B}\\sum_{b=1}^{B} h^c(x_b),

    the Kullback–Leibler divergence ``KL(p ‖ h̄)`` from the prior ``p`` (uniform ``1/C`` by
    default) to the mean prediction of the batch. It is 0 when the batch predicts the prior on
    average and grows when the model puts every utterance in one class. Classes with
    ``p_c = 0`` contribute 0.

    Args:
        probs: class probabilities ``h(x_b)`` of a batch.
        prior: the prior ``p``; None is uniform.

    Shape:
        probs: (B, C); prior: (C,); returns a scalar.

    Chapter: book/08_pseudo_labels.md
    """
    _check_probs(probs)
    prior = check_prior(prior, probs.shape[1], probs)
    mean_probs = probs.mean(dim=0)  # (C,)
    return (torch.xlogy(prior, prior) - prior * _safe_log(mean_probs)).sum()


def entropy_regularizer(probs: Tensor) -> Tensor:
    """Entropy regulariser ``R_H``: the average per-sample entropy, Agarla et al. (2024), Eq. 4.

    .. math::

        R_H = -\\frac{1}{B} \\sum_{b=1}^{B} \\sum_{c=1}^{C} h^c(x_b) \\log h^c(x_b).

    The paper prints a sum over the batch but names the term "the average per-sample entropy",
    and the implementation it follows (Arazo et al., 2020) takes the mean; we take the mean,
    so the weight ``λ_H`` does not depend on the batch size. It is ``log C`` for uniform
    predictions and 0 for one-hot ones; minimising it makes each prediction peak on one class.

    Args:
        probs: class probabilities ``h(x_b)`` of a batch.

    Shape:
        probs: (B, C); returns a scalar.

    Chapter: book/08_pseudo_labels.md
    """
    _check_probs(probs)
    return -(probs * _safe_log(probs)).sum(dim=1).mean()
