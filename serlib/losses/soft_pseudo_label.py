"""Soft pseudo-labels with prior and entropy regularisation (Agarla et al., 2024, Eqs. 1, 3–5).

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from serlib.losses.regularizers import check_prior, entropy_regularizer, prior_regularizer

__all__ = ["SoftPseudoLabelLoss", "soft_cross_entropy", "soft_pseudo_label_loss"]


def soft_cross_entropy(logits: Tensor, soft_targets: Tensor) -> Tensor:
    """Cross-entropy with soft targets, averaged over the batch (Agarla et al., 2024, Eq. 1).

    .. math::

        L_{CE} = -\\frac{1}{B}\\sum_{b=1}^{B}\\sum_{c=1}^{C} y_{bc} \\log \\mathrm{softmax}(z_b)_c.

    Eq. 1 prints a sum over the data set; the mean over the batch keeps the scale of the loss
    independent of the batch size (as ``torch.nn.functional.cross_entropy``). For one-hot
    targets this is the usual cross-entropy.

    Args:
        logits: classifier logits ``z``.
        soft_targets: target distributions ``y`` (one-hot, pseudo-labels, or mixed by mixup).

    Shape:
        logits: (B, C); soft_targets: (B, C); returns a scalar.

    Raises:
        ValueError: if the shapes differ or a target row is not a probability distribution.

    Chapter: book/08_pseudo_labels.md
    """
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"logits must be a non-empty (B, C) matrix, got {tuple(logits.shape)}")
    if soft_targets.shape != logits.shape:
        raise ValueError(
            f"soft_targets has shape {tuple(soft_targets.shape)}, logits {tuple(logits.shape)}"
        )
    sums = soft_targets.detach().sum(dim=1)
    if soft_targets.is_cuda:  # checked on the device: no host sync in every training step
        torch._assert_async((soft_targets >= 0).all()
                            & torch.isclose(sums, torch.ones_like(sums), atol=1e-4).all(),
                            "every row of soft_targets must be non-negative and sum to 1")
    elif bool((soft_targets < 0).any()) or not torch.allclose(sums, torch.ones_like(sums),
                                                              atol=1e-4):
        raise ValueError("every row of soft_targets must be non-negative and sum to 1")
    return -(soft_targets * logits.log_softmax(dim=1)).sum(dim=1).mean()


def soft_pseudo_label_loss(
    logits_u: Tensor,
    soft_targets: Tensor | None = None,
    *,
    prior: Tensor | None = None,
    lambda_prior: float = 0.8,
    lambda_entropy: float = 0.4,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Soft pseudo-labels (Tanaka et al., 2018; Arazo et al., 2020), Agarla et al. (2024), Eq. 5.

    .. math::

        L = L_{CE}(z, y) + λ_A R_A + λ_H R_H,

    with the soft cross-entropy :func:`soft_cross_entropy` (Eq. 1), the prior regulariser
    :func:`~serlib.losses.regularizers.prior_regularizer` ``R_A`` (Eq. 3) and the average
    per-sample entropy :func:`~serlib.losses.regularizers.entropy_regularizer` ``R_H``
    (Eq. 4), both on ``softmax(z)``. The paper uses ``λ_A = 0.8`` and ``λ_H = 0.4``.

    The soft pseudo-labels ``y`` are the model's own predictions, detached. With
    ``soft_targets=None`` they are ``softmax(logits_u)`` of this very call: the CE term then
    equals the prediction entropy in value but has **zero gradient** (``∂L_CE/∂z = p − y =
    0``), so only ``R_A`` and ``R_H`` train the model. To learn from the pseudo-labels, pass
    targets from another view, as Arazo et al. do: the predictions stored at the previous
    epoch, or the predictions on the clean inputs mixed by :func:`~serlib.losses.mixup.mixup`
    while ``logits_u`` come from the mixed inputs.

    Args:
        logits_u: logits on unlabelled (or mixed) target utterances.
        soft_targets: target distributions; None uses ``softmax(logits_u)`` detached.
        prior: class prior ``p`` of ``R_A``; None is uniform.
        lambda_prior: weight ``λ_A`` of ``R_A``.
        lambda_entropy: weight ``λ_H`` of ``R_H``.

    Returns:
        ``(loss, terms)``: the scalar loss and the detached terms ``{"ce", "prior",
        "entropy"}`` (unweighted), for the training history.

    Shape:
        logits_u: (B, C); soft_targets: (B, C); prior: (C,); returns a scalar.

    Chapter: book/08_pseudo_labels.md
    """
    if logits_u.ndim != 2 or logits_u.shape[0] == 0:
        raise ValueError(f"logits_u must be a non-empty (B, C) matrix, got {tuple(logits_u.shape)}")
    probs = logits_u.softmax(dim=1)  # (B, C)
    targets = probs.detach() if soft_targets is None else soft_targets.detach()
    prior = check_prior(prior, logits_u.shape[1], logits_u)
    ce = soft_cross_entropy(logits_u, targets)
    r_a = prior_regularizer(probs, prior)
    r_h = entropy_regularizer(probs)
    loss = ce + lambda_prior * r_a + lambda_entropy * r_h
    terms = {"ce": ce.detach(), "prior": r_a.detach(), "entropy": r_h.detach()}
    return loss, terms


class SoftPseudoLabelLoss(nn.Module):
    """:func:`soft_pseudo_label_loss` as a module (holds the prior and weights only).

    Shape:
        logits_u: (B, C); soft_targets: (B, C); returns a scalar and a dict of scalars.

    Chapter: book/08_pseudo_labels.md
    """

    def __init__(
        self,
        *,
        prior: Tensor | None = None,
        lambda_prior: float = 0.8,
        lambda_entropy: float = 0.4,
    ) -> None:
        super().__init__()
        self.register_buffer(
            "prior", None if prior is None else torch.as_tensor(prior), persistent=False
        )
        self.lambda_prior = float(lambda_prior)
        self.lambda_entropy = float(lambda_entropy)

    def forward(
        self, logits_u: Tensor, soft_targets: Tensor | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        return soft_pseudo_label_loss(
            logits_u,
            soft_targets,
            prior=self.prior,
            lambda_prior=self.lambda_prior,
            lambda_entropy=self.lambda_entropy,
        )

    def extra_repr(self) -> str:
        return f"lambda_prior={self.lambda_prior}, lambda_entropy={self.lambda_entropy}"
