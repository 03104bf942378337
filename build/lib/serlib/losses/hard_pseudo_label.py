"""Hard pseudo-labels with a confidence threshold (Agarla et al., 2024, Eq. 2).

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["NORMALIZATIONS", "HardPseudoLabelLoss", "hard_pseudo_label_loss"]

#: names accepted by ``normalize``
NORMALIZATIONS = ("batch", "selected")


def hard_pseudo_label_loss(
    logits_u: Tensor, threshold: float, *, normalize: str = "batch"
) -> tuple[Tensor, Tensor, Tensor]:
    """Cross-entropy on confident hard pseudo-labels (Lee, 2013), as in Agarla et al. (2024), Eq. 2.

    With ``p_b = softmax(logits_b)`` for the ``B`` unlabelled utterances of a batch, the
    pseudo-label is ``ỹ_b = argmax p_b`` and the selection mask ``g_b = 1[max p_b ≥ τ]``
    (Eq. 2). Both are computed without gradient (the model's own guess is a fixed target).
    The loss is the cross-entropy of Eq. 1 on the selected utterances:

    .. math::

        L = \\frac{1}{Z} \\sum_{b=1}^{B} g_b \\cdot \\mathrm{CE}(\\mathrm{logits}_b, ỹ_b),
        \\qquad Z = B \\;(\\text{"batch"}) \\text{ or } Z = \\max(1, \\textstyle\\sum_b g_b)
        \\;(\\text{"selected"}).

    ``normalize="batch"`` (the default, as FixMatch) divides by the batch size: the weight of
    the term grows with the share of confident predictions, a built-in warm-up, and a single
    confident utterance cannot dominate a step. ``"selected"`` averages over the selected
    utterances only, so each pseudo-labelled utterance weighs like a labelled one. When no
    utterance passes the threshold the loss is 0 (with a gradient graph), never NaN.

    Args:
        logits_u: classifier logits on unlabelled target utterances.
        threshold: the confidence threshold ``τ`` in [0, 1] (Agarla et al. use 0.5).
        normalize: ``"batch"`` or ``"selected"`` (see above).

    Returns:
        ``(loss, mask, pseudo_labels)``: the scalar loss, the boolean selection mask ``g``
        and the pseudo-labels ``ỹ`` (class ids), so a chapter can plot the selection rate
        and the pseudo-label accuracy.

    Shape:
        logits_u: (B, C); returns a scalar, (B,) bool and (B,) int64.

    Chapter: book/08_pseudo_labels.md
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize={normalize!r} is not one of {NORMALIZATIONS}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold={threshold} must lie in [0, 1]")
    if logits_u.ndim != 2 or logits_u.shape[0] == 0:
        raise ValueError(f"logits_u must be a non-empty (B, C) matrix, got {tuple(logits_u.shape)}")
    with torch.no_grad():
        confidence, pseudo_labels = logits_u.softmax(dim=1).max(dim=1)  # (B,), (B,)
        mask = confidence >= threshold  # (B,)
    per_sample = F.cross_entropy(logits_u, pseudo_labels, reduction="none")  # (B,)
    total = (per_sample * mask.to(per_sample.dtype)).sum()
    if normalize == "batch":
        denom = logits_u.shape[0]
    else:
        denom = max(1, int(mask.sum()))
    return total / denom, mask, pseudo_labels


class HardPseudoLabelLoss(nn.Module):
    """:func:`hard_pseudo_label_loss` as a module (holds ``threshold`` and ``normalize`` only).

    Shape:
        logits_u: (B, C); returns a scalar, (B,) bool and (B,) int64.

    Chapter: book/08_pseudo_labels.md
    """

    def __init__(self, threshold: float, *, normalize: str = "batch") -> None:
        super().__init__()
        if normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize={normalize!r} is not one of {NORMALIZATIONS}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold={threshold} must lie in [0, 1]")
        self.threshold = float(threshold)
        self.normalize = normalize

    def forward(self, logits_u: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return hard_pseudo_label_loss(logits_u, self.threshold, normalize=self.normalize)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, normalize={self.normalize!r}"
