"""Running a model over a loader: logits, labels, features, in the loader's order.

:func:`predict` runs where the model is (unless told otherwise), in eval mode, and puts the
model back in the mode it found it in: calling it between two epochs of training changes
nothing. Outputs that are not finite are an error, never a prediction.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from serlib.errors import NonFiniteError
from serlib.train.runtime import autocast, device_of

__all__ = ["Predictions", "predict"]


@dataclass
class Predictions:
    """Model outputs over a loader, in the loader's order.

    Shape:
        logits: (n, num_classes); y: (n,) (``-1`` where unknown); feats: (n, dim) or None;
        index: (n,).
    """

    logits: Tensor
    y: Tensor
    feats: Tensor | None
    index: Tensor

    @property
    def y_pred(self) -> np.ndarray:
        """Predicted class ids."""
        return self.logits.argmax(dim=1).numpy()

    @property
    def probs(self) -> Tensor:
        """Class probabilities (softmax of the logits)."""
        return self.logits.softmax(dim=1)


def _forward(model: nn.Module, batch, with_feats: bool):
    """The logits of one batch, or (features, logits) with ``with_feats``."""
    if with_feats:
        f = model.forward_features(batch.x, batch.lengths)
        return f, model.head(f)
    return model(batch.x, batch.lengths)


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, *, device: str | torch.device | None = None,
            with_feats: bool = False, source: str = "the model") -> Predictions:
    """Run ``model`` in eval mode over ``loader`` (its train/eval mode is restored after).

    On CUDA the forward passes run under float16 autocast (as training does); the outputs
    are returned in float32 on the CPU.

    Args:
        model: a serlib model (``forward`` and, if ``with_feats``, ``forward_features`` and
            ``head``).
        loader: yields :class:`~serlib.features.batching.Batch`.
        device: where to run; None (default) runs where the model's weights are, so a model
            that ``fit`` left on a GPU is evaluated there. A device given here moves the
            model there (and it stays there).
        with_feats: also return the features of ``forward_features`` (for MMD, t-SNE).
        source: names the model in the error raised for non-finite outputs (e.g. a file).

    Raises:
        ValueError: the loader yields no batch.
        NonFiniteError: an output is NaN or infinite (corrupt weights, a diverged run).

    Shape:
        returns logits (n, num_classes) and, with ``with_feats``, feats (n, dim).
    """
    if device is None:
        device = device_of(model)
    else:
        model.to(device)
    was_training = model.training
    model.eval()
    logits, ys, feats, index = [], [], [], []
    try:
        for batch in loader:
            batch = batch.to(device)
            with autocast(device):  # float16 on CUDA, as in training; outputs back to float32
                out = _forward(model, batch, with_feats)
            if with_feats:
                f, out = out
                feats.append(f.float().cpu())
            logits.append(out.float().cpu())
            ys.append(batch.y.cpu())
            index.append(batch.index.cpu())
    finally:
        model.train(was_training)
    if not logits:
        raise ValueError("the loader yielded no batch: there is nothing to predict")
    out = torch.cat(logits)
    if not bool(torch.isfinite(out).all()):
        bad = int((~torch.isfinite(out)).any(dim=1).sum())
        raise NonFiniteError(f"{source} gave non-finite outputs for {bad} of {len(out)} "
                             "utterances: its weights are corrupt or training diverged; "
                             "retrain it (or reload it from an intact file)")
    return Predictions(out, torch.cat(ys), torch.cat(feats) if with_feats else None,
                       torch.cat(index))
