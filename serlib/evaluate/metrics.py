"""Classification metrics for SER: WA, UAR, macro-F1, and the chance levels beside them.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from serlib.evaluate.encoding import check_labels, encode_labels

__all__ = ["METRICS", "chance_levels", "compute_metrics", "encode_pair", "metrics_from_confusion"]

#: the metrics of every results table, in order
METRICS = ("wa", "uar", "macro_f1")


def encode_pair(
    y_true: Iterable[Hashable], y_pred: Iterable[Hashable], labels: Sequence[Hashable]
) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` and ``y_pred`` as positions in ``labels``; checks equal, non-zero lengths."""
    t, p = encode_labels(y_true, labels), encode_labels(y_pred, labels)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} utterances but y_pred has {p.size}")
    if t.size == 0:
        raise ValueError("y_true and y_pred are empty: there is nothing to score")
    return t, p


def compute_metrics(
    y_true: Iterable[Hashable], y_pred: Iterable[Hashable], *, labels: Sequence[Hashable]
) -> dict[str, float]:
    """Weighted accuracy, unweighted average recall and macro-F1 of a set of predictions.

    - ``wa``: weighted accuracy, the share of correct predictions (plain accuracy; it
      weighs each class by its frequency, hence the name).
    - ``uar``: unweighted average recall, the mean of the per-class recalls over the classes
      **present in y_true** (scikit-learn's ``balanced_accuracy_score``). A class without
      test utterances has no recall and is left out, instead of counting as 0.
    - ``macro_f1``: the mean of the per-class F1 over the classes present in ``y_true`` or
      ``y_pred`` (scikit-learn's default set); a class in neither has an undefined F1 and is
      left out, a class that is predicted but absent counts with F1 = 0.
    - ``n``: the number of utterances.

    Baklouti et al. (2024) and Agarla et al. (2024) report accuracy (= WA) and UAR.

    Computed from the confusion matrix (:func:`metrics_from_confusion`): the engine scores
    the dev split after every epoch, and scikit-learn's input checks cost more than a small
    model's epoch. The tests check the values against scikit-learn's.

    Args:
        y_true: true emotions (names or class ids).
        y_pred: predicted emotions, same type.
        labels: the class order (all classes, even those absent from ``y_true``).

    Returns:
        ``{"wa", "uar", "macro_f1", "n"}`` as fractions in [0, 1] (and an int).

    Example:
        >>> compute_metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], labels=[0, 1, 2])["uar"]
        0.5

    Chapter: book/05_measuring.md
    """
    t, p = encode_pair(y_true, y_pred, labels)
    size = len(check_labels(labels))
    cm = np.bincount(t * size + p, minlength=size * size).reshape(size, size)
    scores = metrics_from_confusion(cm)
    return {"wa": float(scores["wa"]), "uar": float(scores["uar"]),
            "macro_f1": float(scores["macro_f1"]), "n": int(t.size)}


def metrics_from_confusion(cm: np.ndarray) -> dict[str, np.ndarray]:
    """WA, UAR and macro-F1 from confusion matrices of counts, vectorised over leading axes.

    The same definitions as :func:`compute_metrics` (used by the bootstrap, where calling
    scikit-learn thousands of times would be slow; the tests check both agree).

    Shape:
        cm: (..., C, C) counts, rows = true, columns = predicted; returns arrays of shape (...).

    Chapter: book/05_measuring.md
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)  # (..., C)
    true_count, pred_count = cm.sum(axis=-1), cm.sum(axis=-2)  # (..., C)
    present = true_count > 0
    recall = np.divide(tp, true_count, out=np.zeros_like(tp), where=present)
    denom = true_count + pred_count
    seen = denom > 0
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=seen)
    return {
        "wa": tp.sum(axis=-1) / cm.sum(axis=(-2, -1)),
        "uar": recall.sum(axis=-1) / present.sum(axis=-1),
        "macro_f1": f1.sum(axis=-1) / seen.sum(axis=-1),
    }


def chance_levels(y_true: Iterable[Hashable], *, labels: Sequence[Hashable]) -> dict[str, float]:
    """Chance levels to print beside WA and UAR.

    - ``wa``: the share of the majority class, i.e. the accuracy of always predicting the
      most frequent class (on an unbalanced test set this is well above ``1/C``).
    - ``uar``: ``1/C`` with ``C`` the number of classes present in ``y_true``: the UAR of any
      constant prediction and the expected UAR of uniform guessing (UAR averages over the
      classes present; this is ``1/len(labels)`` when every class occurs).

    Args:
        y_true: true emotions (names or class ids).
        labels: the class order.

    Chapter: book/05_measuring.md
    """
    labels = check_labels(labels)
    t = encode_labels(y_true, labels)
    if t.size == 0:
        raise ValueError("y_true is empty: there is no chance level")
    counts = np.bincount(t, minlength=len(labels))
    return {"wa": float(counts.max() / t.size), "uar": float(1.0 / np.count_nonzero(counts))}
