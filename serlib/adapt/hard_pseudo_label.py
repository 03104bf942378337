"""Hard pseudo-labels: learn from the model's own confident guesses on unlabelled target speech.

Agarla et al. (2024), Sec. 4.2.1: every step, the model labels each unlabelled target
utterance with its arg-max class and keeps only the confident ones (max probability ≥ τ,
their Eq. 2); those are trained on like labelled data. The loss of a step is::

    loss = ce_s + ce_t + pl

with ``ce_s`` on the labelled source batch, ``ce_t`` on the few labelled target utterances
(when ``n > 0``) and ``pl`` the masked cross-entropy of
:func:`~serlib.losses.hard_pseudo_label_loss` on the ``"unlabelled"`` batch. The labels of
unlabelled utterances are never read (the loader hides them: ``y = -1``).

Under ``torchrun`` the pseudo-label term is computed on the logits of the **global**
unlabelled batch (gathered from every process, with gradients): the threshold is per
utterance, but ``normalize="selected"`` divides by the number of confident utterances of
the whole batch, and ``mask_rate`` is that of the whole batch, as with one process.

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from serlib.adapt.terms import labelled_terms, total, unlabelled_batch
from serlib.features.batching import Batch
from serlib.losses.hard_pseudo_label import hard_pseudo_label_loss
from serlib.train.distributed import gather_rows

__all__ = ["hard_pseudo_label_step"]


def hard_pseudo_label_step(model: nn.Module, batches: Mapping[str, Batch], *,
                           frac_done: float = 0.0, threshold: float = 0.5,
                           normalize: str = "batch") -> dict[str, Tensor]:
    """Hard pseudo-labelling with a confidence threshold, one step (Agarla et al., Eq. 2).

    Args:
        model: a serlib model.
        batches: the labelled ``"source"`` batch, the ``"unlabelled"`` target batch (its
            labels hidden) and, when there are target labels, a labelled ``"target"`` batch.
        frac_done: fraction of training done (unused).
        threshold: the confidence threshold τ (Agarla et al.: 0.5; sweep 0.5/0.65/0.85).
        normalize: ``"batch"`` (divide the masked sum by the batch size) or ``"selected"``
            (by the number of selected utterances); see ``hard_pseudo_label_loss``.

    Returns:
        ``{"loss", "ce_s", "ce_t" (if labelled target), "pl", "mask_rate"}``;
        ``mask_rate`` is the share of unlabelled utterances above the threshold.

    Shape:
        logits_u: (batch_u, num_classes); returns scalars.

    Chapter: book/08_pseudo_labels.md
    """
    u = unlabelled_batch(batches, "hard pseudo-labelling")
    terms, _ = labelled_terms(model, batches)
    logits_u = model(u.x, u.lengths)
    pl, mask, _ = hard_pseudo_label_loss(gather_rows(logits_u).float(), threshold,
                                         normalize=normalize)
    return {"loss": total(terms) + pl, **terms, "pl": pl,
            "mask_rate": mask.float().mean()}
