"""Losses for domain adaptation: the MMD family, pseudo-labels, mixup, gradient reversal / DANN.

Pure functions first, ``nn.Module`` wrappers second; no loss keeps state between calls.
Every loss returns its diagnostics (bandwidths, pseudo-label mask, named terms, domain
accuracy) so that chapters can print and plot them.

Chapter: book/07_mmd.md
"""

from serlib.losses.dann import DomainAdversarialLoss, DomainDiscriminator, domain_adversarial_loss
from serlib.losses.gradient_reversal import GradientReversal, dann_coeff, grad_reverse
from serlib.losses.hard_pseudo_label import HardPseudoLabelLoss, hard_pseudo_label_loss
from serlib.losses.kernels import (
    bandwidth_family,
    base_bandwidth,
    gaussian_kernel,
    pairwise_sq_dists,
)
from serlib.losses.mixup import Mixed, mixup
from serlib.losses.mmd import MMDLoss, mmd2, mmd_bandwidths
from serlib.losses.regularizers import entropy_regularizer, prior_regularizer
from serlib.losses.soft_pseudo_label import (
    SoftPseudoLabelLoss,
    soft_cross_entropy,
    soft_pseudo_label_loss,
)

__all__ = [
    "DomainAdversarialLoss",
    "DomainDiscriminator",
    "GradientReversal",
    "HardPseudoLabelLoss",
    "MMDLoss",
    "Mixed",
    "SoftPseudoLabelLoss",
    "bandwidth_family",
    "base_bandwidth",
    "dann_coeff",
    "domain_adversarial_loss",
    "entropy_regularizer",
    "gaussian_kernel",
    "grad_reverse",
    "hard_pseudo_label_loss",
    "mixup",
    "mmd2",
    "mmd_bandwidths",
    "pairwise_sq_dists",
    "prior_regularizer",
    "soft_cross_entropy",
    "soft_pseudo_label_loss",
]
