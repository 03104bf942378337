"""Gradient reversal and its warm-up schedule (Ganin & Lempitsky, 2015).

Chapter: book/09_beyond.md
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["GradientReversal", "dann_coeff", "grad_reverse"]


class _GradReverse(torch.autograd.Function):
    """Identity forward; multiplies the incoming gradient by ``−coeff`` backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, coeff: float) -> Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None]:
        return grad_output.neg() * ctx.coeff, None


def grad_reverse(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Gradient reversal (Ganin & Lempitsky, 2015): identity forward, ``−coeff·grad`` backward.

    Placed between a feature extractor and a domain discriminator, it lets the discriminator
    minimise its loss while the features receive the gradient that *maximises* it, so the
    features learn to hide the domain (here: the language).

    Args:
        x: features.
        coeff: the scale ``λ ≥ 0`` of the reversed gradient (see :func:`dann_coeff`).

    Shape:
        x: any; returns the same shape.

    Chapter: book/09_beyond.md
    """
    if coeff < 0:
        raise ValueError(f"coeff={coeff} must be non-negative (the sign is reversed for you)")
    return _GradReverse.apply(x, float(coeff))


def dann_coeff(progress: float, gamma: float = 10.0, *, max_coeff: float = 1.0) -> float:
    """Warm-up schedule of the reversal coefficient (Ganin & Lempitsky, 2015).

    .. math::

        λ(p) = \\mathrm{max\\_coeff} \\cdot \\left(\\frac{2}{1 + \\exp(−γ p)} − 1\\right),

    where ``p ∈ [0, 1]`` is the training progress (step / total steps). It is 0 at the start,
    when the discriminator's gradient is noise, and approaches ``max_coeff`` (0.9999 at
    ``p = 1`` with ``γ = 10``).

    Args:
        progress: training progress ``p`` in [0, 1].
        gamma: steepness ``γ`` (10 in the paper).
        max_coeff: the value approached at the end.

    Chapter: book/09_beyond.md
    """
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress={progress} must lie in [0, 1] (step / total steps)")
    return max_coeff * (2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0)


class GradientReversal(nn.Module):
    """:func:`grad_reverse` as a module; the coefficient is fixed or given per call.

    No step counter is kept: the training loop computes ``coeff = dann_coeff(step / total)``
    and passes it, so the schedule is visible in the loop.

    Shape:
        x: any; returns the same shape.

    Chapter: book/09_beyond.md
    """

    def __init__(self, coeff: float = 1.0) -> None:
        super().__init__()
        self.coeff = float(coeff)

    def forward(self, x: Tensor, coeff: float | None = None) -> Tensor:
        return grad_reverse(x, self.coeff if coeff is None else coeff)

    def extra_repr(self) -> str:
        return f"coeff={self.coeff}"
