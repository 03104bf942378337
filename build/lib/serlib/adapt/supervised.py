"""Supervised training: the source model, transfer learning and the multilingual bound.

One step function serves three methods; only the data differs:

- **source training** (and the zero-shot lower bound): ``{"source": ...}``;
- **transfer learning** (Baklouti et al., 2024, "TL"): start from the source model and
  fine-tune it on the labelled target data, ``{"target": ...}``;
- **multilingual** training (Agarla et al., 2024, Sec. 6.2, the upper bound):
  ``{"source": ..., "target": ...}`` with every target training utterance labelled.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from serlib.adapt.terms import labelled_terms, total
from serlib.features.batching import Batch

__all__ = ["supervised_step"]


def supervised_step(model: nn.Module, batches: Mapping[str, Batch], *,
                    frac_done: float = 0.0) -> dict[str, Tensor]:
    """Cross-entropy on every labelled batch: ``loss = ce_s + ce_t``.

    Args:
        model: a serlib model.
        batches: ``"source"`` and/or ``"target"``, labelled batches (each one's
            cross-entropy is a batch mean, so both languages weigh the same per step).
        frac_done: fraction of training done (unused; part of the step-function interface).

    Returns:
        ``{"loss", "ce_s", "ce_t"}`` (the CE terms of the batches present).

    Shape:
        batches[...].x: (batch, 1, n_mels, frames) or whatever the model takes; returns
        scalars.

    Chapter: book/06_cross_lingual_gap.md
    """
    terms, _ = labelled_terms(model, batches)
    return {"loss": total(terms), **terms}
