"""Scoring a trained model on the test splits: the numbers a results row holds.

Every run is scored the same way (``serlib.evaluate``): weighted accuracy (``wa``),
unweighted average recall (``uar``), macro-F1, a 95 % bootstrap interval of the UAR over
test utterances, and the chance levels of the test split, on the **target test** split
(the result) and on the **source test** split (does the model still work on the source
language? Agarla et al. report both).

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from typing import Any

from torch import nn

from serlib.adapt import predict
from serlib.evaluate import chance_levels, metrics_with_ci
from serlib.experiments.training import eval_loader
from serlib.features.batching import UtteranceDataset

__all__ = ["score_split"]


def score_split(model: nn.Module, dataset: UtteranceDataset, *, num_classes: int,
                prefix: str = "", device: str = "cpu", n_boot: int = 1000) -> dict[str, Any]:
    """Metrics of ``model`` on a labelled test split, with keys prefixed by ``prefix``.

    Returns:
        ``{prefix + k}`` for ``wa``, ``uar``, ``macro_f1``, ``n``, ``uar_low``, ``uar_high``,
        ``chance_wa``, ``chance_uar`` (fractions, and a count).
    """
    pred = predict(model, eval_loader(dataset), device=device)
    labels = list(range(num_classes))
    y_true, y_pred = pred.y.numpy(), pred.y_pred
    scores = metrics_with_ci(y_true, y_pred, labels=labels, n_boot=n_boot, seed=0)
    chance = chance_levels(y_true, labels=labels)
    out = {k: scores[k] for k in ("wa", "uar", "macro_f1", "n", "uar_low", "uar_high")}
    out.update({"chance_wa": chance["wa"], "chance_uar": chance["uar"]})
    return {f"{prefix}{k}": v for k, v in out.items()}
