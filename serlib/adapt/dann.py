"""DANN: domain-adversarial training of the features (Ganin et al., 2016), a baseline.

Neither paper runs it; Agarla et al. cite DANN results on EmoDB (their Table 6) and both
papers name adversarial training as the main alternative to MMD. A domain discriminator
learns to tell source from target features; a gradient reversal layer between them makes
the features learn the opposite, to hide the language::

    loss = ce_s + ce_t + trade_off · L_D(D(GRL_λ(feats_s)), D(GRL_λ(feats_t)))

``λ`` follows the warm-up schedule ``dann_coeff(frac_done)`` (0 at the start, → 1). The
discriminator (with its loss) is an explicit object created by the caller
(:func:`make_adversary`) and passed both to the step and to ``fit(extras=...)``.

Under ``torchrun`` the discriminator is wrapped in DDP with the model (it is an extra of
``fit``) and its loss is per process: it is a mean over utterances, so DDP's mean of the
processes' gradients is the gradient on the global batch.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from serlib.adapt.terms import aligned_feats, total
from serlib.features.batching import Batch
from serlib.losses.dann import DomainAdversarialLoss, DomainDiscriminator
from serlib.losses.gradient_reversal import dann_coeff

__all__ = ["adversary_state", "dann_step", "make_adversary"]


def make_adversary(in_features: int, *, hidden: int = 256,
                   dropout: float = 0.5) -> DomainAdversarialLoss:
    """A fresh domain discriminator behind a gradient reversal layer.

    Args:
        in_features: the dimension of ``model.forward_features``.
        hidden: width of the discriminator's hidden layers.
        dropout: dropout after its first hidden layer.
    """
    return DomainAdversarialLoss(DomainDiscriminator(in_features, hidden, dropout))


def adversary_state(model: nn.Module, *, hidden: int = 256, dropout: float = 0.5,
                    **_: Any) -> dict[str, nn.Module]:
    """The state of ``dann``: a discriminator sized by the model's ``feature_dim``."""
    return {"adversary": make_adversary(model.feature_dim, hidden=hidden, dropout=dropout)}


def dann_step(model: nn.Module, batches: Mapping[str, Batch], *, frac_done: float = 0.0,
              adversary: DomainAdversarialLoss, trade_off: float = 1.0,
              gamma: float = 10.0) -> dict[str, Tensor]:
    """Domain-adversarial training, one step.

    Args:
        model: a serlib model.
        batches: ``"source"`` (labelled), and ``"target"`` (labelled) and/or
            ``"unlabelled"`` target batches.
        frac_done: fraction of training done; sets the reversal coefficient.
        adversary: the discriminator and its loss (:func:`make_adversary`).
        trade_off: weight of the domain loss.
        gamma: steepness of the coefficient's warm-up (10 in Ganin et al.).

    Returns:
        ``{"loss", "ce_s", "ce_t" (if labelled target), "domain", "domain_acc",
        "coeff"}``; ``domain_acc`` near 0.5 means the languages are hard to tell apart.

    Shape:
        feats_s: (n, dim); feats_t: (m, dim); returns scalars.

    Chapter: book/09_beyond.md
    """
    terms, feats_s, feats_t = aligned_feats(model, batches, "dann_step")
    coeff = dann_coeff(min(frac_done, 1.0), gamma)
    domain, accuracy = adversary(feats_s.float(), feats_t.float(), coeff=coeff)
    return {"loss": total(terms) + trade_off * domain, **terms, "domain": domain,
            "domain_acc": accuracy, "coeff": domain.new_tensor(coeff)}
