"""Mixup: convex combinations of pairs of examples and of their labels (Zhang et al., 2018).

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

__all__ = ["Mixed", "mixup"]


class Mixed(NamedTuple):
    """The output of :func:`mixup`: mixed inputs and labels, the weights and the pairing."""

    x: Tensor  #: mixed inputs, same shape as the inputs
    y: Tensor  #: mixed labels, (B, C)
    alpha: Tensor  #: mixing weights (the paper's α): a scalar, or (B,) with ``per_sample=True``
    perm: Tensor  #: the partner of each example: ``x[perm]``, (B,) int64

    @property
    def lam(self) -> Tensor:
        """The old name of :attr:`alpha` (deprecated: λ is the book's ``trade_off``)."""
        warnings.warn("Mixed.lam is now Mixed.alpha (the paper's α; λ is the trade_off)",
                      DeprecationWarning, stacklevel=2)
        return self.alpha


def _sample_alpha(
    size: tuple[int, ...], concentration: float | None, generator: torch.Generator | None
) -> Tensor:
    if concentration is None:  # Agarla et al.: uniform in (0, 1), which is Beta(1, 1)
        return torch.rand(size, generator=generator, dtype=torch.float64)
    if concentration <= 0:
        raise ValueError(f"concentration={concentration} must be positive (or None: uniform)")
    # torch's Beta sampler takes no generator: seed a NumPy generator from the torch one
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    values = np.random.default_rng(seed).beta(concentration, concentration, size=size)
    return torch.as_tensor(values, dtype=torch.float64)


def mixup(
    x: Tensor,
    y: Tensor,
    *,
    concentration: float | None = None,
    per_sample: bool = False,
    generator: torch.Generator | None = None,
) -> Mixed:
    """Mixup (Zhang et al., 2018), as used by Agarla et al. (2024), Eqs. 6–7.

    Each example ``p`` of the batch is paired with example ``q = perm[p]`` of a random
    permutation of the same batch, and

    .. math::

        x = α x_p + (1 − α) x_q, \\qquad y = α y_p + (1 − α) y_q.

    The weight ``α`` (the paper's symbol; Zhang et al. write λ, which this book keeps for the
    ``trade_off``) is uniform in [0, 1) by default, as in Agarla et al.;
    ``concentration=a`` draws it from ``Beta(a, a)`` instead, as Zhang et al. (``Beta(1, 1)``
    is the uniform). One ``α`` is shared by the batch (Zhang et al.; Arazo et al., 2020);
    ``per_sample=True`` draws one per example. Labels are one-hot or soft distributions, so
    the mixed labels are distributions too. Everything random comes from ``generator``: the
    same seeded generator gives the same mix.

    Args:
        x: inputs (e.g. log-mel crops or embeddings).
        y: one-hot or soft labels, floating point.
        concentration: the ``a`` of ``Beta(a, a)``; None samples ``α`` uniformly.
        per_sample: one ``α`` per example instead of one per batch.
        generator: a seeded ``torch.Generator`` (CPU) for reproducible mixing.

    Returns:
        A :class:`Mixed` tuple ``(x, y, alpha, perm)``.

    Shape:
        x: (B, ...); y: (B, C); returns x (B, ...), y (B, C), alpha () or (B,), perm (B,).

    Raises:
        ValueError: for integer labels, mismatched batch sizes or a bad ``concentration``.

    Chapter: book/08_pseudo_labels.md
    """
    if y.ndim != 2 or not torch.is_floating_point(y):
        raise ValueError(
            f"y must be one-hot or soft labels of shape (B, C) and a float dtype, got shape "
            f"{tuple(y.shape)} and {y.dtype}; convert class ids with "
            f"torch.nn.functional.one_hot(y, num_classes).float()"
        )
    batch = x.shape[0]
    if y.shape[0] != batch or batch == 0:
        raise ValueError(f"x has {batch} examples but y has {y.shape[0]} (both must be > 0)")
    perm = torch.randperm(batch, generator=generator).to(x.device)  # (B,)
    alpha = _sample_alpha((batch,) if per_sample else (), concentration, generator).to(x.device)
    alpha_x = (alpha.to(x.dtype).reshape((-1,) + (1,) * (x.ndim - 1)) if per_sample
               else alpha.to(x.dtype))
    alpha_y = alpha.to(y.dtype).reshape(-1, 1) if per_sample else alpha.to(y.dtype)
    x_mix = alpha_x * x + (1 - alpha_x) * x[perm]
    y_mix = alpha_y * y + (1 - alpha_y) * y[perm]
    return Mixed(x_mix, y_mix, alpha.to(x.dtype), perm)
