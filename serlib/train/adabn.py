"""Test-time BatchNorm re-estimation (AdaBN): a model's BatchNorm statistics from the target.

A network trained on one language keeps, in every BatchNorm layer, the running mean and
variance of the *source* activations. AdaBN (Li et al., 2017) replaces them with those of
the unlabelled target utterances before testing: a forward pass over the target in
training mode for the BatchNorm layers only (cumulative averages, no gradient, nothing
else changes). No label is used; the weights stay as trained.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader

from serlib.train.runtime import autocast, device_of

__all__ = ["batchnorm_layers", "reestimate_batchnorm"]


def batchnorm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """The model's BatchNorm layers that track running statistics."""
    return [m for m in model.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


def reestimate_batchnorm(model: nn.Module, loader: DataLoader) -> int:
    """Recompute every BatchNorm layer's running statistics on ``loader``'s inputs.

    Args:
        model: the trained model (changed in place: BatchNorm buffers only).
        loader: unlabelled target utterances (labels, if any, are ignored).

    Returns:
        The number of BatchNorm layers re-estimated (0: the model has none; nothing done).

    Raises:
        ValueError: ``loader`` yields no batch.

    Chapter: book/09_beyond.md
    """
    layers = batchnorm_layers(model)
    if not layers:
        return 0
    was_training = model.training
    momenta = [m.momentum for m in layers]
    device = device_of(model)
    model.eval()
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over every batch
        m.train()
    seen = 0
    try:
        with torch.no_grad(), autocast(device):  # float16 on CUDA; BatchNorm stats in float32
            for batch in loader:
                batch = batch.to(device)
                model(batch.x, batch.lengths)
                seen += 1
    finally:
        for m, momentum in zip(layers, momenta, strict=True):
            m.momentum = momentum
        model.train(was_training)
    if not seen:
        raise ValueError("reestimate_batchnorm: the loader yielded no batch (an empty "
                         "target pool?); AdaBN needs unlabelled target utterances")
    return len(layers)
