"""Supervised training on labelled utterances: the source model and its fine-tuning.

Chapter: book/01_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Mapping

import torch.nn.functional as F
from torch import Tensor, nn

from serlib.features.batching import Batch

__all__ = ["supervised_step"]


def supervised_step(model: nn.Module, batches: Mapping[str, Batch], *,
                    progress: float = 0.0) -> dict[str, Tensor]:
    """Cross-entropy on the ``"source"`` batch: ``loss = ce``.

    Args:
        model: a serlib model.
        batches: must hold ``"source"``, a labelled batch.
        progress: fraction of training done (unused; part of the step-function interface).

    Shape:
        batches["source"].x: (batch, 1, n_mels, frames); returns scalars.
    """
    batch = batches["source"]
    logits = model(batch.x, batch.lengths)
    ce = F.cross_entropy(logits, batch.y)
    return {"loss": ce, "ce": ce}
