"""Is a domain shift real? A permutation test of MMD² between two samples of features.

Under the null hypothesis that source and target features come from one distribution, the
domain labels are exchangeable: shuffling which points are called "source" and which
"target" leaves the distribution of MMD² unchanged. The test computes MMD² for the real
split and for ``n_permutations`` random relabellings of the pooled sample, and reports the
share of relabellings at least as large as the observed value (Gretton et al., 2012,
Sec. 5; the ``+1`` in numerator and denominator counts the observed split as one of the
permutations, so the p-value is never 0).

The kernel matrix of the pooled sample is computed once, with the bandwidths of
:func:`serlib.losses.mmd_bandwidths` (the median heuristic on the pooled sample, which a
relabelling does not change): a permutation only re-indexes it, so a thousand
permutations of a few hundred points take well under a second.

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from serlib.losses.kernels import as_bandwidths, gaussian_kernel, pairwise_sq_dists
from serlib.losses.mmd import mmd_bandwidths

__all__ = ["PermutationTest", "mmd_permutation_test"]


@dataclass(frozen=True)
class PermutationTest:
    """The outcome of :func:`mmd_permutation_test`.

    Attributes:
        statistic: MMD² of the real source/target split.
        p_value: ``(1 + #{null ≥ statistic}) / (1 + n_permutations)``.
        null: MMD² of every random relabelling, shape (n_permutations,).
        bandwidths: the kernel bandwidths σ used (one per kernel).
        n_source: source points.
        n_target: target points.
    """

    statistic: float
    p_value: float
    null: np.ndarray
    bandwidths: tuple[float, ...]
    n_source: int
    n_target: int

    def null_quantile(self, q: float = 0.95) -> float:
        """The ``q`` quantile of the null distribution (the test's critical value)."""
        return float(np.quantile(self.null, q))


def _as_tensor(feats: object, name: str) -> Tensor:
    x = torch.as_tensor(np.asarray(feats.detach().cpu() if isinstance(feats, Tensor) else feats),
                        dtype=torch.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} must be an (n, d) matrix, got shape {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} holds NaN or infinite values: no MMD² is computed from them")
    return x


def _mmd2_from_kernel(kernel: Tensor, is_source: Tensor, estimator: str) -> Tensor:
    """MMD² of every row of ``is_source`` (boolean masks) from the pooled kernel matrix.

    Shape:
        kernel: (N, N); is_source: (P, N); returns (P,).
    """
    s = is_source.to(kernel.dtype)  # (P, N)
    t = 1.0 - s
    n, m = s.sum(dim=1), t.sum(dim=1)  # (P,)
    ks = s @ kernel  # (P, N): row sums over source columns
    sum_ss = (ks * s).sum(dim=1)
    sum_st = (ks * t).sum(dim=1)
    sum_tt = ((t @ kernel) * t).sum(dim=1)
    if estimator == "biased":
        return sum_ss / n**2 + sum_tt / m**2 - 2.0 * sum_st / (n * m)
    diag = kernel.diagonal()  # (N,)
    within_s = (sum_ss - s @ diag) / (n * (n - 1))
    within_t = (sum_tt - t @ diag) / (m * (m - 1))
    return within_s + within_t - 2.0 * sum_st / (n * m)


def mmd_permutation_test(feats_s: object, feats_t: object, *, n_permutations: int = 1000,
                         estimator: str = "biased",
                         bandwidths: Sequence[float] | None = None, num_kernels: int = 5,
                         kernel_mul: float = 2.0, bandwidth_rule: str = "median",
                         seed: int = 0, chunk: int = 200) -> PermutationTest:
    """Permutation test of "source and target features have the same distribution".

    Args:
        feats_s: source features (NumPy array or tensor).
        feats_t: target features.
        n_permutations: random relabellings of the pooled sample.
        estimator: ``"biased"`` (Baklouti et al.'s Eq. 2) or ``"unbiased"``.
        bandwidths: kernel bandwidths σ; None: :func:`serlib.losses.mmd_bandwidths`.
        num_kernels: kernels of the data-driven family.
        kernel_mul: ratio between neighbouring kernels' variances.
        bandwidth_rule: ``"median"`` or ``"mean"``.
        seed: seeds the relabellings.
        chunk: relabellings evaluated per matrix product (memory: chunk × N).

    Returns:
        The observed MMD², its p-value and the null distribution; the observed value is
        what :func:`serlib.losses.mmd2` returns for these features and bandwidths.

    Shape:
        feats_s: (n, d); feats_t: (m, d) with n, m ≥ 2.

    Raises:
        ValueError: fewer than two points on a side, mismatched widths, non-finite
            features, an unknown estimator or ``n_permutations < 1``.

    Chapter: book/07_mmd.md
    """
    if estimator not in ("biased", "unbiased"):
        raise ValueError(f"estimator={estimator!r}: the permutation test uses 'biased' or "
                         "'unbiased' (the linear-time estimator needs no kernel matrix)")
    if n_permutations < 1:
        raise ValueError(f"n_permutations={n_permutations} must be at least 1")
    xs, xt = _as_tensor(feats_s, "feats_s"), _as_tensor(feats_t, "feats_t")
    n, m = xs.shape[0], xt.shape[0]
    if n < 2 or m < 2:
        raise ValueError(f"the test needs at least 2 source and 2 target points, got {n} and {m}")
    if xs.shape[1] != xt.shape[1]:
        raise ValueError(f"feats_s has {xs.shape[1]} features but feats_t has {xt.shape[1]}")
    bw = (mmd_bandwidths(xs, xt, kernel_mul=kernel_mul, num_kernels=num_kernels,
                         bandwidth_rule=bandwidth_rule)
          if bandwidths is None else as_bandwidths(bandwidths, xs))
    pooled = torch.cat([xs, xt])  # (N, d)
    sq = pairwise_sq_dists(pooled, pooled)
    sq = sq - torch.diag_embed(sq.diagonal())
    kernel = gaussian_kernel(sq, bw)  # (N, N)
    total = n + m
    observed = torch.zeros(1, total, dtype=torch.bool)
    observed[0, :n] = True
    statistic = float(_mmd2_from_kernel(kernel, observed, estimator)[0])
    rng = np.random.default_rng(seed)
    null = []
    for start in range(0, n_permutations, chunk):
        size = min(chunk, n_permutations - start)
        order = np.argsort(rng.random((size, total)), axis=1)  # (size, N) random permutations
        masks = torch.from_numpy(order < n)  # the first n positions are "source"
        null.append(_mmd2_from_kernel(kernel, masks, estimator).numpy())
    null_values = np.concatenate(null)
    p_value = (1 + int((null_values >= statistic).sum())) / (1 + n_permutations)
    return PermutationTest(statistic, p_value, null_values,
                           tuple(float(b) for b in bw), n, m)
