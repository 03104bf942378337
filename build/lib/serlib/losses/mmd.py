"""Squared maximum mean discrepancy (MMD²) with Gaussian kernels: biased, unbiased, linear-time.

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from serlib.losses.kernels import (
    as_bandwidths,
    bandwidth_family,
    base_bandwidth,
    gaussian_kernel,
    pairwise_sq_dists,
)

__all__ = ["ESTIMATORS", "MMDLoss", "mmd2", "mmd_bandwidths"]

#: names accepted by ``estimator``
ESTIMATORS = ("biased", "unbiased", "linear")


def _check_feats(feats_s: Tensor, feats_t: Tensor, estimator: str) -> None:
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator={estimator!r} is not one of {ESTIMATORS}")
    if feats_s.ndim != 2 or feats_t.ndim != 2:
        raise ValueError(
            f"feats_s and feats_t must be (batch, features) matrices, got shapes "
            f"{tuple(feats_s.shape)} and {tuple(feats_t.shape)}; flatten them first"
        )
    if feats_s.shape[1] != feats_t.shape[1]:
        raise ValueError(
            f"feats_s has {feats_s.shape[1]} features but feats_t has {feats_t.shape[1]}"
        )
    n, m = feats_s.shape[0], feats_t.shape[0]
    if n < 1 or m < 1:
        raise ValueError(f"empty batch: feats_s has {n} rows, feats_t has {m}")
    if estimator == "unbiased" and min(n, m) < 2:
        raise ValueError(
            f"estimator='unbiased' needs at least 2 source and 2 target samples, got {n} and {m}"
        )
    if estimator == "linear" and (n != m or n < 2):
        raise ValueError(
            f"estimator='linear' pairs consecutive samples and needs equal batch sizes of at "
            f"least 2, got {n} source and {m} target; use estimator='biased' or 'unbiased' "
            f"or drop samples so that both batches have the same size"
        )


def mmd_bandwidths(
    feats_s: Tensor,
    feats_t: Tensor,
    *,
    kernel_mul: float = 2.0,
    num_kernels: int = 5,
    bandwidth_rule: str = "median",
) -> Tensor:
    """The bandwidths ``σ_k`` that :func:`mmd2` would use for these features (detached).

    ``σ₀² = median`` (or ``mean``) of the squared distances between distinct points of the
    pooled sample ``[feats_s; feats_t]``, then ``σ_k² = σ₀² · kernel_mul^(k − K//2)``
    (see :mod:`serlib.losses.kernels`).

    Args:
        feats_s: source features.
        feats_t: target features.
        kernel_mul: ratio between the variances of neighbouring kernels.
        num_kernels: number of kernels ``K``.
        bandwidth_rule: ``"median"`` or ``"mean"``.

    Shape:
        feats_s: (n, d); feats_t: (m, d); returns (num_kernels,).

    Chapter: book/07_mmd.md
    """
    _check_feats(feats_s, feats_t, "biased")
    pooled = torch.cat([feats_s, feats_t]).detach()  # (n + m, d)
    base = base_bandwidth(pairwise_sq_dists(pooled, pooled), bandwidth_rule)
    return bandwidth_family(base, kernel_mul=kernel_mul, num_kernels=num_kernels)


def mmd2(
    feats_s: Tensor,
    feats_t: Tensor,
    *,
    bandwidths: Sequence[float] | Tensor | None = None,
    kernel_mul: float = 2.0,
    num_kernels: int = 5,
    bandwidth_rule: str = "median",
    kernel_combine: str = "mean",
    estimator: str = "biased",
    return_bandwidths: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum mean discrepancy (Gretton et al., 2012), as used by Baklouti et al. (2024), Eq. 2.

    With a kernel ``k``, source sample ``{s_i}`` (n points) and target sample ``{t_j}``
    (m points), the **biased** estimator (a V-statistic; Baklouti's Eq. 2) is

    .. math::

        \\widehat{MMD}^2_b = \\frac{1}{n^2}\\sum_{i,j} k(s_i, s_j)
            + \\frac{1}{m^2}\\sum_{i,j} k(t_i, t_j) - \\frac{2}{nm}\\sum_{i,j} k(s_i, t_j).

    It is never negative and is exactly 0 for identical samples. The **unbiased** estimator
    (a U-statistic) leaves the diagonals out of the first two sums (dividing by ``n(n−1)``
    and ``m(m−1)``); its expectation is the true MMD², so it is ≈ 0 on average, and can be
    negative, for two samples of one distribution. The **linear-time** estimator (Gretton et
    al., 2012, Lemma 14) pairs consecutive samples: with ``⌊n/2⌋`` pairs,

    .. math::

        \\widehat{MMD}^2_l = \\frac{1}{⌊n/2⌋}\\sum_{i} k(s_{2i}, s_{2i+1}) + k(t_{2i}, t_{2i+1})
            - k(s_{2i}, t_{2i+1}) - k(s_{2i+1}, t_{2i}),

    it needs ``n = m``; an odd last sample is left out. (The data-driven bandwidth still looks
    at all pairs of the pooled sample; pass ``bandwidths`` for a cost linear in ``n``.) The
    kernel is Gaussian,
    ``k(x, y) = exp(−‖x − y‖² / (2σ²))``, averaged (``kernel_combine="mean"``) or summed over
    a family of bandwidths. For one source and one target point at distance ``d`` and a single
    bandwidth ``σ``, the biased MMD² is ``2 − 2·exp(−d² / (2σ²))``.

    Args:
        feats_s: source features (e.g. the first FC layer of VGG16 on a source batch).
        feats_t: target features.
        bandwidths: the ``σ`` of each kernel; None derives them from the data (detached):
            see :func:`mmd_bandwidths`.
        kernel_mul: ratio between the variances of neighbouring kernels (data-driven only).
        num_kernels: number of kernels (data-driven only); 1 gives a single Gaussian.
        bandwidth_rule: ``"median"`` or ``"mean"`` of the pooled squared distances.
        kernel_combine: ``"mean"`` or ``"sum"`` of the kernels of the family.
        estimator: ``"biased"``, ``"unbiased"`` or ``"linear"``.
        return_bandwidths: also return the bandwidths used (to print them in a chapter).

    Returns:
        MMD², or ``(MMD², bandwidths)`` if ``return_bandwidths``.

    Shape:
        feats_s: (n, d); feats_t: (m, d); returns a scalar (and bandwidths of shape (K,)).

    Raises:
        ValueError: for an unknown mode, mismatched shapes, or batch sizes the estimator
            cannot use (unbiased: n, m ≥ 2; linear: n = m ≥ 2).

    Chapter: book/07_mmd.md
    """
    _check_feats(feats_s, feats_t, estimator)
    n = feats_s.shape[0]
    if estimator == "linear":
        if bandwidths is None:
            bw = mmd_bandwidths(
                feats_s,
                feats_t,
                kernel_mul=kernel_mul,
                num_kernels=num_kernels,
                bandwidth_rule=bandwidth_rule,
            )
        else:
            bw = as_bandwidths(bandwidths, feats_s)
        pairs = 2 * (n // 2)
        s1, s2 = feats_s[0:pairs:2], feats_s[1:pairs:2]  # (n//2, d) each
        t1, t2 = feats_t[0:pairs:2], feats_t[1:pairs:2]

        def k(a: Tensor, b: Tensor) -> Tensor:
            return gaussian_kernel((a - b).pow(2).sum(dim=1), bw, combine=kernel_combine)

        value = (k(s1, s2) + k(t1, t2) - k(s1, t2) - k(s2, t1)).mean()
    else:
        pooled = torch.cat([feats_s, feats_t])  # (n + m, d)
        sq = pairwise_sq_dists(pooled, pooled)  # (n + m, n + m)
        sq = sq - torch.diag_embed(sq.diagonal())  # exact zeros on the diagonal
        if bandwidths is None:
            base = base_bandwidth(sq, bandwidth_rule)
            bw = bandwidth_family(base, kernel_mul=kernel_mul, num_kernels=num_kernels)
        else:
            bw = as_bandwidths(bandwidths, feats_s)
        kernel = gaussian_kernel(sq, bw, combine=kernel_combine)
        k_ss, k_tt, k_st = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
        if estimator == "biased":
            value = k_ss.mean() + k_tt.mean() - 2.0 * k_st.mean()
        else:
            m = k_tt.shape[0]
            within_s = (k_ss.sum() - k_ss.diagonal().sum()) / (n * (n - 1))
            within_t = (k_tt.sum() - k_tt.diagonal().sum()) / (m * (m - 1))
            value = within_s + within_t - 2.0 * k_st.mean()
    return (value, bw) if return_bandwidths else value


class MMDLoss(nn.Module):
    """:func:`mmd2` as a module; it holds the options only, no state between calls.

    Example:
        >>> loss_fn = MMDLoss(estimator="biased")  # doctest: +SKIP
        >>> loss = ce + trade_off * loss_fn(feats_s, feats_t)  # doctest: +SKIP

    Shape:
        feats_s: (n, d); feats_t: (m, d); returns a scalar.

    Chapter: book/07_mmd.md
    """

    def __init__(
        self,
        *,
        bandwidths: Sequence[float] | None = None,
        kernel_mul: float = 2.0,
        num_kernels: int = 5,
        bandwidth_rule: str = "median",
        kernel_combine: str = "mean",
        estimator: str = "biased",
    ) -> None:
        super().__init__()
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator={estimator!r} is not one of {ESTIMATORS}")
        self.options = {
            "bandwidths": None if bandwidths is None else tuple(float(b) for b in bandwidths),
            "kernel_mul": kernel_mul,
            "num_kernels": num_kernels,
            "bandwidth_rule": bandwidth_rule,
            "kernel_combine": kernel_combine,
            "estimator": estimator,
        }

    def forward(self, feats_s: Tensor, feats_t: Tensor) -> Tensor:
        return mmd2(feats_s, feats_t, **self.options)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())
