"""Domain-adversarial training: the domain discriminator and its loss (Ganin et al., 2016).

Chapter: book/09_beyond.md
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from serlib.losses.gradient_reversal import grad_reverse

__all__ = ["DomainAdversarialLoss", "DomainDiscriminator", "domain_adversarial_loss"]


def _as_logit_vector(logits: Tensor, name: str) -> Tensor:
    if logits.ndim == 2 and logits.shape[1] == 1:
        logits = logits[:, 0]
    if logits.ndim != 1 or logits.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (B,) or (B, 1) with B > 0, got {tuple(logits.shape)}"
        )
    return logits


def domain_adversarial_loss(
    domain_logits_s: Tensor, domain_logits_t: Tensor
) -> tuple[Tensor, Tensor]:
    """Domain-classification loss of DANN (Ganin et al., 2016), as in TLlib.

    Binary cross-entropy of the discriminator ``D`` with source = 1 and target = 0,
    each domain averaged separately and the two averaged:

    .. math::

        L_D = \\frac{1}{2}\\left(-\\frac{1}{n}\\sum_i \\log σ(d^s_i)
              - \\frac{1}{m}\\sum_j \\log(1 − σ(d^t_j))\\right),

    so both domains weigh the same whatever the batch sizes. The discriminator minimises
    ``L_D``; behind a gradient reversal layer the features maximise it. A perfectly confused
    discriminator gives ``log 2 ≈ 0.693`` and 50 % accuracy.

    Args:
        domain_logits_s: discriminator logits on source features.
        domain_logits_t: discriminator logits on target features.

    Returns:
        ``(loss, domain_accuracy)``: the scalar loss and the detached balanced accuracy of the
        discriminator (mean of the source and target accuracies, logit > 0 means "source").

    Shape:
        domain_logits_s: (n,) or (n, 1); domain_logits_t: (m,) or (m, 1); returns two scalars.

    Chapter: book/09_beyond.md
    """
    d_s = _as_logit_vector(domain_logits_s, "domain_logits_s")
    d_t = _as_logit_vector(domain_logits_t, "domain_logits_t")
    loss_s = F.binary_cross_entropy_with_logits(d_s, torch.ones_like(d_s))
    loss_t = F.binary_cross_entropy_with_logits(d_t, torch.zeros_like(d_t))
    with torch.no_grad():
        accuracy = 0.5 * ((d_s > 0).float().mean() + (d_t <= 0).float().mean())
    return 0.5 * (loss_s + loss_t), accuracy


class DomainDiscriminator(nn.Module):
    """A small domain discriminator: Linear–ReLU–Dropout–Linear–ReLU–Linear → 1 logit.

    Args:
        in_features: feature dimension.
        hidden: width of the two hidden layers.
        dropout: dropout probability after the first hidden layer.

    Shape:
        feats: (B, in_features); returns (B,) logits (> 0 means "source").

    Chapter: book/09_beyond.md
    """

    def __init__(self, in_features: int, hidden: int = 256, dropout: float = 0.5) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, feats: Tensor) -> Tensor:
        return self.net(feats).squeeze(1)  # (B, 1) -> (B,)


class DomainAdversarialLoss(nn.Module):
    """Gradient reversal, then a discriminator, then :func:`domain_adversarial_loss`.

    It holds the discriminator's weights (trained with the rest of the model) and nothing
    else: the reversal coefficient is passed on every call (e.g. from :func:`dann_coeff`).

    Example:
        >>> adv = DomainAdversarialLoss(DomainDiscriminator(512))  # doctest: +SKIP
        >>> loss_d, acc = adv(feats_s, feats_t, coeff=dann_coeff(step / total))  # doctest: +SKIP
        >>> loss = ce + trade_off * loss_d  # doctest: +SKIP

    Shape:
        feats_s: (n, d); feats_t: (m, d); returns two scalars.

    Chapter: book/09_beyond.md
    """

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator

    def forward(
        self, feats_s: Tensor, feats_t: Tensor, coeff: float = 1.0
    ) -> tuple[Tensor, Tensor]:
        n = feats_s.shape[0]
        feats = grad_reverse(torch.cat([feats_s, feats_t]), coeff)  # (n + m, d)
        logits = self.discriminator(feats)  # (n + m,)
        return domain_adversarial_loss(logits[:n], logits[n:])
