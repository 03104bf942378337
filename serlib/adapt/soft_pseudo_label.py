"""Soft pseudo-labels with a per-utterance memory, prior and entropy regularisers, and mixup.

Agarla et al. (2024), Sec. 4.2.2, after Tanaka et al. (2018) and Arazo et al. (2020). The
target of an unlabelled utterance is a probability vector: the model's own prediction for
it, **from its previous visit** (Arazo et al. store each utterance's softmax during an
epoch and train on it during the next). A target computed in the same forward pass would
teach nothing: its cross-entropy has zero gradient (see
:func:`~serlib.losses.soft_pseudo_label_loss`). So a :class:`SoftLabelMemory` (one row
per unlabelled utterance, indexed by ``Batch.index``) holds the targets, and each step:

1. reads the targets of its unlabelled batch from the memory;
2. predicts the clean batch without gradient and writes those predictions back (they are
   the targets of the next visit);
3. mixes the batch with itself (mixup, Eqs. 6–7: inputs and targets, one uniform α);
4. minimises ``ce_s + ce_t + L_CE(mixed) + λ_A R_A + λ_H R_H`` (Eq. 5), the regularisers on
   the predictions for the mixed inputs, as in Arazo et al.'s implementation.

The memory starts from the source model's predictions (:meth:`SoftLabelMemory.from_model`)
or, without a model, from the uniform distribution. It is state the caller creates and
hands to ``fit`` as an extra (so it moves to the device and is checkpointed); the losses
themselves stay stateless.

Under ``torchrun`` the memory stays the same on every process: each step writes the
predictions of the **global** unlabelled batch (indices and probabilities gathered from
every process), so every process holds every update. Mixup pairs utterances within each
process's batch (its own α); the loss, whose prior term R_A uses the batch's mean
prediction, is computed on the gathered mixed logits and targets, i.e. on the global batch.

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from serlib.adapt.terms import labelled_terms, total, unlabelled_batch
from serlib.features.batching import Batch
from serlib.losses.mixup import mixup
from serlib.losses.soft_pseudo_label import soft_pseudo_label_loss
from serlib.train.distributed import gather_rows
from serlib.train.inference import predict
from serlib.train.runtime import resolve_device

__all__ = ["SoftLabelMemory", "soft_label_state", "soft_pseudo_label_step"]


class SoftLabelMemory(nn.Module):
    """The current soft pseudo-label of every unlabelled utterance.

    Args:
        num_items: size of the unlabelled dataset (``Batch.index`` runs over it).
        num_classes: number of emotions.
        init: initial targets; None is uniform.

    Shape:
        probs: (num_items, num_classes), every row a distribution.

    Chapter: book/08_pseudo_labels.md
    """

    def __init__(self, num_items: int, num_classes: int, init: Tensor | None = None) -> None:
        super().__init__()
        if init is None:
            init = torch.full((num_items, num_classes), 1.0 / num_classes)
        if tuple(init.shape) != (num_items, num_classes):
            raise ValueError(f"init has shape {tuple(init.shape)}, expected "
                             f"({num_items}, {num_classes})")
        self.register_buffer("probs", init.detach().float().clone())

    @classmethod
    def from_model(cls, model: nn.Module, loader: DataLoader, *,
                   device: str | torch.device | None = None) -> SoftLabelMemory:
        """A memory initialised with ``model``'s predictions on ``loader`` (eval mode).

        ``loader`` must cover the whole unlabelled dataset (in any order); ``device``:
        where to predict (None: where the model is).
        """
        pred = predict(model, loader, device=device)
        num_items = int(pred.index.max()) + 1
        if len(torch.unique(pred.index)) != num_items or len(pred.index) != num_items:
            raise ValueError("the loader must yield every unlabelled utterance exactly once")
        probs = torch.empty((num_items, pred.logits.shape[1]))
        probs[pred.index] = pred.probs
        return cls(num_items, probs.shape[1], probs)

    def read(self, index: Tensor) -> Tensor:
        """The targets of the utterances ``index`` (a copy). Shape: (batch, num_classes)."""
        return self.probs[index].clone()

    @torch.no_grad()
    def write(self, index: Tensor, probs: Tensor) -> None:
        """Store new predictions for the utterances ``index``."""
        self.probs[index] = probs.detach().to(self.probs.dtype)


def soft_pseudo_label_step(model: nn.Module, batches: Mapping[str, Batch], *,
                           frac_done: float = 0.0, memory: SoftLabelMemory,
                           lambda_prior: float = 0.8, lambda_entropy: float = 0.4,
                           use_mixup: bool = True,
                           concentration: float | None = None) -> dict[str, Tensor]:
    """Soft pseudo-labelling, one step (Agarla et al., Eqs. 3–7; see the module docstring).

    Args:
        model: a serlib model.
        batches: ``"source"`` (labelled), optionally ``"target"`` (labelled), and
            ``"unlabelled"`` (its ``index`` addresses ``memory``).
        frac_done: fraction of training done (unused).
        memory: the soft targets; read, then updated with this step's predictions.
        lambda_prior: λ_A of the prior regulariser R_A (0.8).
        lambda_entropy: λ_H of the entropy regulariser R_H (0.4).
        use_mixup: mix the unlabelled batch with itself (Eqs. 6–7).
        concentration: None draws α uniformly in (0, 1) as Agarla et al.; a value ``a``
            draws it from Beta(a, a).

    Returns:
        ``{"loss", "ce_s", "ce_t" (if labelled target), "pl", "pl_ce", "prior",
        "entropy"}``; ``pl`` = ``pl_ce + λ_A·prior + λ_H·entropy``.

    Shape:
        memory.probs: (num_unlabelled, num_classes); returns scalars.

    Chapter: book/08_pseudo_labels.md
    """
    u = unlabelled_batch(batches, "soft pseudo-labelling")
    terms, _ = labelled_terms(model, batches)
    targets = memory.read(u.index)  # (batch_u, C): the predictions of the previous visit
    with torch.no_grad():
        probs = model(u.x, u.lengths).float().softmax(dim=1)
        memory.write(gather_rows(u.index), gather_rows(probs))  # every process's rows
    if use_mixup:
        mixed = mixup(u.x, targets, concentration=concentration)
        lengths = torch.maximum(u.lengths, u.lengths[mixed.perm])  # valid frames of either
        logits_u, soft_targets = model(mixed.x, lengths), mixed.y
    else:
        logits_u, soft_targets = model(u.x, u.lengths), targets
    pl, parts = soft_pseudo_label_loss(gather_rows(logits_u).float(),
                                       gather_rows(soft_targets).float(),
                                       lambda_prior=lambda_prior, lambda_entropy=lambda_entropy)
    return {"loss": total(terms) + pl, **terms, "pl": pl, "pl_ce": parts["ce"],
            "prior": parts["prior"], "entropy": parts["entropy"]}


def soft_label_state(model: nn.Module, *, unlabelled_loader: DataLoader | None,
                     device: str | torch.device = "auto", **_: Any) -> dict[str, nn.Module]:
    """The state of ``soft_pl``: a memory initialised with the starting model's predictions.

    The first predictions run where training will run (the model is moved to ``device``
    first, as ``fit`` would), under autocast on CUDA: not an fp32 pass on the CPU.

    Args:
        model: the model the step will train (its predictions are the first targets).
        unlabelled_loader: an unshuffled loader over every unlabelled target utterance.
        device: where training runs (``"auto"``: :func:`~serlib.train.runtime.resolve_device`).

    Raises:
        ValueError: no loader was given.
    """
    if unlabelled_loader is None:
        raise ValueError("soft_pl needs unlabelled_loader (an unshuffled loader over the "
                         "unlabelled target utterances) to initialise its memory")
    return {"memory": SoftLabelMemory.from_model(model, unlabelled_loader,
                                                 device=resolve_device(str(device)))}
