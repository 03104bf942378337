"""Per-class tables: the classification report and the confusion matrix as DataFrames.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from serlib.evaluate.encoding import check_labels
from serlib.evaluate.metrics import encode_pair

__all__ = ["classification_report_df", "confusion_matrix_df"]

_NORMALIZE = ("true", "pred", None)


def classification_report_df(
    y_true: Iterable[Hashable], y_pred: Iterable[Hashable], *, labels: Sequence[Hashable]
) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support, one row per class of ``labels``.

    Every class of ``labels`` has a row, even when it is absent from ``y_true`` (support 0);
    undefined ratios (0/0) are reported as 0, as scikit-learn does with ``zero_division=0``.

    Args:
        y_true: true emotions (names or class ids).
        y_pred: predicted emotions.
        labels: the class order.

    Returns:
        A DataFrame indexed by ``labels`` with columns ``precision``, ``recall``, ``f1``
        (fractions) and ``support`` (int).

    Chapter: book/05_measuring.md
    """
    labels = check_labels(labels)
    t, p = encode_pair(y_true, y_pred, labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        t, p, labels=np.arange(len(labels)), zero_division=0
    )
    return pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(int)},
        index=pd.Index(labels, name="label"),
    )


def confusion_matrix_df(
    y_true: Iterable[Hashable],
    y_pred: Iterable[Hashable],
    *,
    labels: Sequence[Hashable],
    normalize: str | None = "true",
) -> pd.DataFrame:
    """Confusion matrix with rows = true class and columns = predicted class.

    Args:
        y_true: true emotions (names or class ids).
        y_pred: predicted emotions.
        labels: the class order of rows and columns (all classes are shown).
        normalize: ``"true"`` divides each row by its count (the diagonal is then the
            per-class recall), ``"pred"`` each column, None keeps counts. A row (column) with
            no utterances is all zeros, not NaN.

    Returns:
        A (C, C) DataFrame; index named ``"true"``, columns named ``"predicted"``.

    Chapter: book/05_measuring.md
    """
    if normalize not in _NORMALIZE:
        raise ValueError(f"normalize={normalize!r} is not one of {_NORMALIZE}")
    labels = check_labels(labels)
    t, p = encode_pair(y_true, y_pred, labels)
    counts = confusion_matrix(t, p, labels=np.arange(len(labels)))  # (C, C)
    if normalize is None:
        values: np.ndarray = counts
    else:
        axis = 1 if normalize == "true" else 0
        totals = counts.sum(axis=axis, keepdims=True).astype(np.float64)
        values = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    return pd.DataFrame(
        values,
        index=pd.Index(labels, name="true"),
        columns=pd.Index(labels, name="predicted"),
    )
