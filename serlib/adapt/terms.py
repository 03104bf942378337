"""Building blocks every step function shares: features, logits and labelled cross-entropy.

Every method sees the same named batches (see :mod:`serlib.adapt.methods`):

- ``"source"``: labelled source-language utterances;
- ``"target"``: the few *labelled* target-language utterances (when there are any);
- ``"unlabelled"``: target-language utterances whose labels the learner never sees (their
  ``y`` is ``UNLABELLED``; a step never reads it).

The cross-entropy of a labelled batch is recorded as ``ce_s`` (source) or ``ce_t`` (target).
The step functions of the methods (one per file, named like the loss they use in
:mod:`serlib.losses`) are built from these terms.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from serlib.features.batching import UNLABELLED, Batch

__all__ = ["CE_TERMS", "aligned_feats", "encode", "labelled_cross_entropy", "labelled_terms",
           "target_feats", "total", "unlabelled_batch"]

#: the name of the cross-entropy term of each labelled batch
CE_TERMS = {"source": "ce_s", "target": "ce_t"}


def encode(model: nn.Module, batch: Batch) -> tuple[Tensor, Tensor]:
    """Features (the layer adaptation works on) and logits of one batch.

    Shape:
        returns feats (batch, dim) and logits (batch, num_classes).
    """
    feats = model.forward_features(batch.x, batch.lengths)
    return feats, model.head(feats)


def labelled_cross_entropy(logits: Tensor, y: Tensor, *, name: str) -> Tensor:
    """Cross-entropy of a batch that must be fully labelled.

    Raises:
        ValueError: if a label is ``UNLABELLED`` (the utterance belongs in the
            ``"unlabelled"`` loader, never in a labelled one).

    Shape:
        logits: (batch, num_classes); y: (batch,); returns a scalar.
    """
    if y.is_cuda:  # checked on the device, without a host sync that would stall every step
        torch._assert_async((y != UNLABELLED).all(), f"the {name!r} batch holds unlabelled "
                            "utterances; they belong in the 'unlabelled' loader")
    elif bool((y == UNLABELLED).any()):
        raise ValueError(f"the {name!r} batch holds unlabelled utterances (y = {UNLABELLED}); "
                         "unlabelled target data goes in the 'unlabelled' loader")
    return F.cross_entropy(logits.float(), y)


def labelled_terms(model: nn.Module,
                   batches: Mapping[str, Batch]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Cross-entropy on each labelled batch present (``"source"``, ``"target"``).

    Returns:
        ``(terms, feats)``: ``{"ce_s": ..., "ce_t": ...}`` for the batches present, and the
        features of those batches by batch name (for MMD or a domain discriminator).

    Raises:
        ValueError: if neither a ``"source"`` nor a ``"target"`` batch is given.
    """
    terms: dict[str, Tensor] = {}
    feats: dict[str, Tensor] = {}
    for name, term in CE_TERMS.items():
        if name in batches:
            batch = batches[name]
            feats[name], logits = encode(model, batch)
            terms[term] = labelled_cross_entropy(logits, batch.y, name=name)
    if not terms:
        raise ValueError(f"no labelled batch among {sorted(batches)}: a step needs 'source' "
                         "and/or 'target'")
    return terms, feats


def total(terms: Mapping[str, Tensor]) -> Tensor:
    """The sum of the given terms (a scalar)."""
    return torch.stack([t.float() for t in terms.values()]).sum()


def target_feats(model: nn.Module, batches: Mapping[str, Batch],
                 feats: Mapping[str, Tensor]) -> Tensor:
    """Features of every target utterance of the step: labelled ``"target"`` + ``"unlabelled"``.

    Args:
        model: the model (used for the unlabelled batch only).
        batches: the step's batches.
        feats: features already computed, by batch name (from :func:`labelled_terms`).

    Shape:
        returns (m, dim), m = the number of target utterances of the step.

    Raises:
        ValueError: if the step has no target batch at all.
    """
    parts = [feats["target"]] if "target" in feats else []
    if "unlabelled" in batches:
        u = batches["unlabelled"]
        parts.append(model.forward_features(u.x, u.lengths))
    if not parts:
        raise ValueError(f"no target batch among {sorted(batches)}: adaptation needs a "
                         "'target' and/or an 'unlabelled' batch")
    return torch.cat(parts)


def unlabelled_batch(batches: Mapping[str, Batch], method: str) -> Batch:
    """The ``"unlabelled"`` batch, or a clear error naming the method that needs it."""
    if "unlabelled" not in batches:
        raise ValueError(f"{method} needs an 'unlabelled' batch of target utterances; "
                         f"got {sorted(batches)}")
    return batches["unlabelled"]


def aligned_feats(model: nn.Module, batches: Mapping[str, Batch], method: str
                  ) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    """What a method that aligns the two languages needs: the CE terms and both features.

    Returns:
        ``(terms, feats_s, feats_t)``: the labelled terms (:func:`labelled_terms`), the
        source features and the features of every target utterance (:func:`target_feats`).

    Raises:
        ValueError: the step has no labelled ``"source"`` batch (names ``method``).

    Shape:
        feats_s: (n, dim); feats_t: (m, dim).
    """
    if "source" not in batches:
        raise ValueError(f"{method} needs a labelled 'source' batch")
    terms, feats = labelled_terms(model, batches)
    return terms, feats["source"], target_feats(model, batches, feats)
