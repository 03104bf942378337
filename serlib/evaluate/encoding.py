"""Turn emotion names or class ids into positions in an explicit class order.

Every metric in :mod:`serlib.evaluate` takes ``labels``, the class order of the tables, and
maps ``y_true`` and ``y_pred`` to positions ``0 .. C-1`` in that order first. Labels may be
strings (emotion names) or integer class ids; a value that is not in ``labels`` is an error,
never silently dropped.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from serlib.errors import LabelSetError

__all__ = ["check_labels", "encode_labels"]


def _as_list(values: Iterable[Hashable]) -> list[Hashable]:
    # numpy arrays, pandas Series and torch tensors all have tolist(): plain Python scalars
    if hasattr(values, "tolist"):
        values = values.tolist()  # type: ignore[union-attr]
    return list(values)


def check_labels(labels: Sequence[Hashable]) -> list[Hashable]:
    """Return ``labels`` as a list after checking it is non-empty and has no duplicates.

    Raises:
        LabelSetError: for an empty or duplicated class order.
    """
    labels = _as_list(labels)
    if not labels:
        raise LabelSetError("labels is empty; pass the class order, e.g. labels=EMOTIONS")
    if len(set(labels)) != len(labels):
        raise LabelSetError(f"labels={labels} has duplicates; each class must appear once")
    return labels


def encode_labels(values: Iterable[Hashable], labels: Sequence[Hashable]) -> np.ndarray:
    """Positions of ``values`` in ``labels``.

    Args:
        values: emotion names or class ids (list, array, Series or tensor).
        labels: the class order.

    Returns:
        An int64 array of positions in ``0 .. len(labels) - 1``.

    Raises:
        LabelSetError: if a value is not one of ``labels``.

    Example:
        >>> encode_labels(["sadness", "anger"], ["anger", "sadness"]).tolist()
        [1, 0]

    Chapter: book/05_measuring.md
    """
    labels = check_labels(labels)
    index = {label: i for i, label in enumerate(labels)}
    values = _as_list(values)
    unknown = sorted({repr(v) for v in values if v not in index})
    if unknown:
        raise LabelSetError(
            f"value(s) {', '.join(unknown[:5])} are not in labels={labels}; "
            "pass the full class order (names and ids must match the data's type)"
        )
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
