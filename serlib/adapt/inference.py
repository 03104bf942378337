"""Running a model over a loader: logits, labels, features, and the dev score of selection.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import Tensor, nn
from torch.utils.data import DataLoader

from serlib.features.batching import UNLABELLED

__all__ = ["Predictions", "dev_uar", "predict"]


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


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, *, device: str | torch.device = "cpu",
            with_feats: bool = False) -> Predictions:
    """Run ``model`` in eval mode over ``loader``.

    Args:
        model: a serlib model (``forward`` and, if ``with_feats``, ``forward_features`` and
            ``head``).
        loader: yields :class:`~serlib.features.batching.Batch`.
        device: where to run.
        with_feats: also return the features of ``forward_features`` (for MMD, t-SNE).

    Shape:
        returns logits (n, num_classes) and, with ``with_feats``, feats (n, dim).
    """
    model.eval()
    logits, ys, feats, index = [], [], [], []
    for batch in loader:
        batch = batch.to(device)
        if with_feats:
            f = model.forward_features(batch.x, batch.lengths)
            feats.append(f.float().cpu())
            logits.append(model.head(f).float().cpu())
        else:
            logits.append(model(batch.x, batch.lengths).float().cpu())
        ys.append(batch.y.cpu())
        index.append(batch.index.cpu())
    if not logits:
        raise ValueError("the loader yielded no batch: there is nothing to predict")
    return Predictions(torch.cat(logits), torch.cat(ys), torch.cat(feats) if with_feats else None,
                       torch.cat(index))


def dev_uar(model: nn.Module, loader: DataLoader, device: str | torch.device = "cpu") -> float:
    """Unweighted average recall on a labelled loader: the engine's selection score.

    scikit-learn's ``balanced_accuracy_score`` (the mean recall over the classes present),
    the same definition as ``serlib.evaluate.compute_metrics``'s ``uar``.

    Raises:
        ValueError: if the loader holds no labelled utterance.
    """
    pred = predict(model, loader, device=device)
    known = pred.y != UNLABELLED
    if not bool(known.any()):
        raise ValueError("the dev loader has no labelled utterances: model selection needs labels")
    return float(balanced_accuracy_score(pred.y[known].numpy(), pred.y_pred[known.numpy()]))
