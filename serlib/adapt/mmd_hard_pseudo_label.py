"""MMD + hard pseudo-labels: align the languages' features and learn from confident guesses.

An extension that neither paper tries: Baklouti et al.'s MMD term aligns the marginal
feature distributions of the two languages; Agarla et al.'s hard pseudo-labels give the
unlabelled target utterances a class. The two are complementary (alignment first makes the
pseudo-labels better; pseudo-labels add class information that MMD ignores)::

    loss = ce_s + ce_t + trade_off · MMD²(feats_s, feats_t) + pl

with ``feats_t`` the features of every target utterance of the step and ``pl`` the masked
cross-entropy on the unlabelled batch (threshold τ). Under ``torchrun`` both the MMD² and
the pseudo-label term are computed on the global batch (see :mod:`serlib.adapt.mmd` and
:mod:`serlib.adapt.hard_pseudo_label`).

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from serlib.adapt.mmd import mmd_between
from serlib.adapt.terms import labelled_terms, total, unlabelled_batch
from serlib.features.batching import Batch
from serlib.losses.hard_pseudo_label import hard_pseudo_label_loss
from serlib.train.distributed import gather_rows

__all__ = ["mmd_hard_pseudo_label_step"]


def mmd_hard_pseudo_label_step(model: nn.Module, batches: Mapping[str, Batch], *,
                               frac_done: float = 0.0, trade_off: float = 1.0,
                               threshold: float = 0.5, normalize: str = "batch",
                               estimator: str = "biased", num_kernels: int = 5,
                               kernel_mul: float = 2.0,
                               bandwidth_rule: str = "median") -> dict[str, Tensor]:
    """MMD alignment plus hard pseudo-labels, one step.

    Args:
        model: a serlib model.
        batches: ``"source"`` (labelled), optionally ``"target"`` (labelled), and
            ``"unlabelled"`` (target, labels hidden).
        frac_done: fraction of training done (unused).
        trade_off: the weight of the MMD term.
        threshold: the confidence threshold τ of the pseudo-labels.
        normalize: ``"batch"`` or ``"selected"`` (see ``hard_pseudo_label_loss``).
        estimator: the MMD estimator (``"biased"``, ``"unbiased"`` or ``"linear"``).
        num_kernels: number of Gaussian kernels.
        kernel_mul: ratio between neighbouring kernels' variances.
        bandwidth_rule: ``"median"`` or ``"mean"`` pairwise squared distance.

    Returns:
        ``{"loss", "ce_s", "ce_t" (if labelled target), "mmd", "pl", "mask_rate"}``.

    Shape:
        feats_s: (n, dim); feats_u: (batch_u, dim); returns scalars.

    Chapter: book/09_beyond.md
    """
    if "source" not in batches:
        raise ValueError("mmd_hard_pseudo_label_step needs a labelled 'source' batch")
    u = unlabelled_batch(batches, "MMD + pseudo-labels")
    terms, feats = labelled_terms(model, batches)
    feats_u = model.forward_features(u.x, u.lengths)
    logits_u = model.head(feats_u)
    parts = [feats["target"], feats_u] if "target" in feats else [feats_u]
    mmd = mmd_between(gather_rows(feats["source"]), gather_rows(torch.cat(parts)),
                      estimator=estimator,
                      num_kernels=num_kernels, kernel_mul=kernel_mul,
                      bandwidth_rule=bandwidth_rule)
    pl, mask, _ = hard_pseudo_label_loss(gather_rows(logits_u).float(), threshold,
                                         normalize=normalize)
    return {"loss": total(terms) + trade_off * mmd + pl, **terms, "mmd": mmd, "pl": pl,
            "mask_rate": mask.float().mean()}
