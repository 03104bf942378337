"""Gaussian kernels for the MMD family: pairwise distances, bandwidth rules, kernel families.

The Gaussian (RBF) kernel with bandwidth ``σ`` is

.. math::

    k_σ(x, y) = \\exp\\left(-\\frac{\\lVert x - y \\rVert^2}{2σ^2}\\right).

Bandwidths are ``σ`` (a length in feature units), never ``σ²`` or ``1/(2σ²)``. A *family* of
``num_kernels`` kernels is centred on a base bandwidth ``σ₀``: the variances are
``σ_k² = σ₀² · kernel_mul^(k - num_kernels // 2)`` for ``k = 0 .. num_kernels - 1``, so the
default (``kernel_mul=2``, ``num_kernels=5``) uses ``σ₀² · {1/4, 1/2, 1, 2, 4}`` (the DAN /
TLlib convention of scaling the variance). The base comes from the pooled sample (source and
target together): ``σ₀²`` is the median (Gretton et al., 2012) or the mean (Long et al.,
2015) of the squared distances between distinct points. The heuristic is computed on
detached features: no gradient flows through a bandwidth.

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "BANDWIDTH_RULES",
    "as_bandwidths",
    "bandwidth_family",
    "base_bandwidth",
    "gaussian_kernel",
    "pairwise_sq_dists",
]

#: names accepted by ``bandwidth_rule``
BANDWIDTH_RULES = ("median", "mean")


def pairwise_sq_dists(a: Tensor, b: Tensor) -> Tensor:
    """Squared Euclidean distances ``‖a_i − b_j‖²`` between the rows of two matrices.

    Uses ``‖a‖² + ‖b‖² − 2 a·b`` (one matrix product, no ``(n, m, d)`` temporary), clamped at
    zero against rounding. There is no square root, so the gradient is finite everywhere,
    including at zero distance.

    Args:
        a: first set of points.
        b: second set of points.

    Shape:
        a: (n, d); b: (m, d); returns (n, m).

    Chapter: book/07_mmd.md
    """
    sq_a = a.pow(2).sum(dim=1, keepdim=True)  # (n, 1)
    sq_b = b.pow(2).sum(dim=1, keepdim=True)  # (m, 1)
    dists = sq_a + sq_b.T - 2.0 * a @ b.T  # (n, m)
    return dists.clamp_min(0.0)


def base_bandwidth(sq_dists: Tensor, rule: str = "median") -> Tensor:
    """Base bandwidth ``σ₀`` from the squared distances of a pooled sample (detached).

    ``σ₀² = median`` (or ``mean``) of ``‖z_i − z_j‖²`` over distinct pairs ``i < j`` of the
    pooled sample ``z``. The median is the average of the two middle values for an even
    number of pairs (as ``numpy.median``). A zero result (all points equal) is replaced by
    the smallest positive float so that the kernel stays finite.

    Args:
        sq_dists: squared distances of the pooled sample to itself (symmetric, zero diagonal).
        rule: ``"median"`` or ``"mean"``.

    Shape:
        sq_dists: (N, N) with N ≥ 2; returns a scalar.

    Raises:
        ValueError: for an unknown ``rule`` or fewer than two pooled points.

    Chapter: book/07_mmd.md
    """
    if rule not in BANDWIDTH_RULES:
        raise ValueError(f"bandwidth_rule={rule!r} is not one of {BANDWIDTH_RULES}")
    n = sq_dists.shape[0]
    if n < 2:
        raise ValueError(f"the pooled sample has {n} point(s); a bandwidth rule needs at least 2")
    rows, cols = torch.triu_indices(n, n, offset=1, device=sq_dists.device)
    pairs = sq_dists.detach()[rows, cols]  # (N(N-1)/2,)
    if rule == "mean":
        var = pairs.mean()
    else:  # the two middle order statistics by selection, not a full sort (O(k), same values)
        k = pairs.numel()
        low = torch.kthvalue(pairs, (k - 1) // 2 + 1).values
        high = low if k % 2 else torch.kthvalue(pairs, k // 2 + 1).values
        var = 0.5 * (low + high)
    var = var.clamp_min(torch.finfo(var.dtype).tiny)
    return var.sqrt()


def bandwidth_family(base: Tensor, *, kernel_mul: float = 2.0, num_kernels: int = 5) -> Tensor:
    """``num_kernels`` bandwidths centred on ``base``: ``σ_k² = σ₀² · kernel_mul^(k − K//2)``.

    Args:
        base: the base bandwidth ``σ₀``.
        kernel_mul: ratio between the variances of neighbouring kernels (> 0).
        num_kernels: how many kernels (≥ 1); 1 gives ``σ₀`` alone.

    Shape:
        base: scalar; returns (num_kernels,).

    Chapter: book/07_mmd.md
    """
    if num_kernels < 1:
        raise ValueError(f"num_kernels={num_kernels} must be at least 1")
    if kernel_mul <= 0:
        raise ValueError(f"kernel_mul={kernel_mul} must be positive")
    powers = torch.arange(num_kernels, dtype=base.dtype, device=base.device) - num_kernels // 2
    return base * torch.as_tensor(kernel_mul, dtype=base.dtype).pow(powers / 2.0)


def as_bandwidths(bandwidths: Sequence[float] | Tensor, like: Tensor) -> Tensor:
    """Caller-given bandwidths as a detached 1-d tensor; each must be positive and finite."""
    out = torch.as_tensor(bandwidths, dtype=like.dtype, device=like.device).detach().reshape(-1)
    if out.numel() == 0 or not bool(torch.all(torch.isfinite(out) & (out > 0))):
        raise ValueError(f"bandwidths={bandwidths!r} must be a non-empty list of positive numbers")
    return out


def gaussian_kernel(sq_dists: Tensor, bandwidths: Tensor, *, combine: str = "mean") -> Tensor:
    """Gaussian kernel values ``exp(−d² / (2σ²))`` combined over a family of bandwidths.

    Args:
        sq_dists: squared distances ``d²``, any shape.
        bandwidths: the ``σ`` of each kernel.
        combine: ``"mean"`` (a kernel with values in [0, 1]) or ``"sum"`` (as DAN) over kernels.

    Shape:
        sq_dists: (...); bandwidths: (K,); returns (...).

    Chapter: book/07_mmd.md
    """
    if combine not in ("mean", "sum"):
        raise ValueError(f"kernel_combine={combine!r} is not 'mean' or 'sum'")
    scale = 1.0 / (2.0 * bandwidths.pow(2))  # (K,)
    values = torch.exp(-sq_dists.unsqueeze(-1) * scale)  # (..., K)
    return values.mean(dim=-1) if combine == "mean" else values.sum(dim=-1)
