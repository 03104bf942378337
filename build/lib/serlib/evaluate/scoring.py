"""Scoring a model on a labelled split: the numbers every table of the book shows.

:func:`score_split` is what a results row holds for one test split: weighted accuracy
(``wa``), unweighted average recall (``uar``), macro-F1, a 95 % bootstrap interval of the
UAR over utterances, and the chance levels of that split. :func:`uar_selection` is the
engine's model selection by dev UAR (the same definition of UAR as every table).

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from serlib.evaluate.bootstrap import metrics_with_ci
from serlib.evaluate.metrics import chance_levels, compute_metrics
from serlib.features.batching import UNLABELLED, eval_loader
from serlib.train.inference import Predictions, predict
from serlib.train.selection import ModelSelection

__all__ = ["SCORE_KEYS", "score_predictions", "score_split", "uar_selection"]

#: the keys of :func:`score_split` (before its prefix)
SCORE_KEYS = ("wa", "uar", "macro_f1", "n", "uar_low", "uar_high", "chance_wa", "chance_uar")


def _loader(data: Dataset | DataLoader) -> DataLoader:
    """A dataset as an evaluation loader; anything else is taken to be a loader already."""
    return eval_loader(data) if isinstance(data, Dataset) else data


def uar_selection(dev: Dataset | DataLoader, name: str) -> ModelSelection:
    """Select the epoch with the best UAR on the labelled split ``dev`` (named ``name``).

    Raises (when scored):
        ValueError: the split holds no labelled utterance.
    """
    loader = _loader(dev)

    def dev_uar(model: nn.Module) -> float:
        pred = predict(model, loader)
        known = (pred.y != UNLABELLED).numpy()
        if not known.any():
            raise ValueError(f"the {name} split has no labelled utterances: model selection "
                             "needs labels")
        classes = sorted(set(pred.y.numpy()[known].tolist()) | set(pred.y_pred.tolist()))
        return compute_metrics(pred.y.numpy()[known], pred.y_pred[known],
                               labels=classes)["uar"]

    return ModelSelection(name, dev_uar)


def score_predictions(pred: Predictions, *, labels: Sequence[int], prefix: str = "",
                      n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The metrics of predictions on a labelled split (see :func:`score_split`)."""
    y_true, y_pred = pred.y.numpy(), pred.y_pred
    scores = metrics_with_ci(y_true, y_pred, labels=list(labels), n_boot=n_boot, seed=seed)
    chance = chance_levels(y_true, labels=list(labels))
    out = {k: scores[k] for k in ("wa", "uar", "macro_f1", "n", "uar_low", "uar_high")}
    out.update({"chance_wa": chance["wa"], "chance_uar": chance["uar"]})
    return {f"{prefix}{k}": v for k, v in out.items()}


def score_split(model: nn.Module, data: Dataset | DataLoader, *, num_classes: int,
                prefix: str = "", device: str | torch.device | None = None,
                n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Metrics of ``model`` on a labelled split, with keys prefixed by ``prefix``.

    Args:
        model: a serlib model (evaluated where it is, unless ``device`` says otherwise).
        data: the split, a dataset (whole utterances) or a loader.
        num_classes: the number of emotions (class ids ``0 .. num_classes - 1``).
        prefix: put before every key (e.g. ``"source_"``).
        device: where to run (None: where the model is).
        n_boot: bootstrap resamples of the interval.
        seed: seeds the bootstrap.

    Returns:
        ``{prefix + k}`` for :data:`SCORE_KEYS`: ``wa``, ``uar``, ``macro_f1``, ``n``,
        ``uar_low``, ``uar_high``, ``chance_wa``, ``chance_uar`` (fractions, and a count).
    """
    pred = predict(model, _loader(data), device=device)
    return score_predictions(pred, labels=range(num_classes), prefix=prefix, n_boot=n_boot,
                             seed=seed)
