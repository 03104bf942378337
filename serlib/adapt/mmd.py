"""MMD domain adaptation: cross-entropy plus ``trade_off`` · MMD² between the domains' features.

Baklouti et al. (2024), Sec. 3.2, fine-tune the source model with the hybrid loss of their
Eq. 1, ``Loss = CE(Y_s, y_s) + λ · MMD_FC(D_s, D_t)``, the MMD (their Eq. 2, the biased
estimator) being computed on the first fully connected layer (FC1 of VGG16) for a source
and a target batch. Eq. 1 writes the cross-entropy on the source labels only, yet the
method is called *supervised* DA and is compared with transfer learning that fine-tunes on
the labelled target data; the paper defines D_t with its labels Y_t. We therefore read it
as, and implement, **cross-entropy on every labelled batch of both languages plus the MMD
term**::

    loss = ce_s + ce_t + trade_off · MMD²(feats_s, feats_t)

where ``feats_t`` are the features of every target utterance of the step (the labelled
``"target"`` batch and, if given, the ``"unlabelled"`` batch). Without a labelled target
batch this is Eq. 1 to the letter (unsupervised MMD adaptation, as DDC/DAN); with one it is
the supervised DA the paper evaluates. ``trade_off`` is λ; the paper does not report its
value (we default to 1).

Under ``torchrun`` the MMD² is computed on the **global batch**: every process gathers the
features of all processes (:func:`~serlib.train.distributed.gather_rows`, with gradients)
and computes the same term. MMD² is not a mean over utterances (the biased estimator's bias
and the median bandwidth depend on the batch size), so a per-process MMD² would change the
method with the number of processes; the gathered one is what one process computes on the
combined batch. The cross-entropies are per process (DDP's mean of the means is the global
mean).

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from serlib.adapt.terms import aligned_feats, total
from serlib.features.batching import Batch
from serlib.losses.mmd import mmd2
from serlib.train.distributed import gather_rows

__all__ = ["mmd_between", "mmd_step"]


def mmd_between(feats_s: Tensor, feats_t: Tensor, *, estimator: str = "biased",
                num_kernels: int = 5, kernel_mul: float = 2.0,
                bandwidth_rule: str = "median") -> Tensor:
    """:func:`~serlib.losses.mmd.mmd2` in float32, even inside a mixed-precision region.

    Shape:
        feats_s: (n, dim); feats_t: (m, dim); returns a scalar.
    """
    with torch.autocast(device_type=feats_s.device.type, enabled=False):
        return mmd2(feats_s.float(), feats_t.float(), estimator=estimator,
                    num_kernels=num_kernels, kernel_mul=kernel_mul,
                    bandwidth_rule=bandwidth_rule)


def mmd_step(model: nn.Module, batches: Mapping[str, Batch], *, frac_done: float = 0.0,
             trade_off: float = 1.0, estimator: str = "biased", num_kernels: int = 5,
             kernel_mul: float = 2.0, bandwidth_rule: str = "median") -> dict[str, Tensor]:
    """Supervised (or unsupervised) MMD domain adaptation, one step.

    ``loss = ce_s + ce_t + trade_off · MMD²(feats_s, feats_t)`` (see the module docstring
    for why both cross-entropies). Features are those of ``model.forward_features``: FC1
    for VGG16, the embedding for BYOL-S and the small CNN. The kernel bandwidths come from
    the median pairwise distance of the step's features (detached), 5 Gaussian kernels.

    Args:
        model: a serlib model.
        batches: ``"source"`` (labelled), and ``"target"`` (labelled) and/or
            ``"unlabelled"`` target batches.
        frac_done: fraction of training done (unused).
        trade_off: the weight λ of the MMD term.
        estimator: ``"biased"`` (Baklouti's Eq. 2), ``"unbiased"`` or ``"linear"``.
        num_kernels: number of Gaussian kernels.
        kernel_mul: ratio between neighbouring kernels' variances.
        bandwidth_rule: ``"median"`` or ``"mean"`` pairwise squared distance.

    Returns:
        ``{"loss", "ce_s", "ce_t" (if labelled target), "mmd"}``.

    Shape:
        feats_s: (n, dim); feats_t: (m, dim); returns scalars.

    Chapter: book/07_mmd.md
    """
    terms, feats_s, feats_t = aligned_feats(model, batches, "mmd_step")
    mmd = mmd_between(gather_rows(feats_s), gather_rows(feats_t),  # the global batch
                      estimator=estimator, num_kernels=num_kernels, kernel_mul=kernel_mul,
                      bandwidth_rule=bandwidth_rule)
    return {"loss": total(terms) + trade_off * mmd, **terms, "mmd": mmd}
