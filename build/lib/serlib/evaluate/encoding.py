"""Turn emotion names or class ids into positions in an explicit class order.

Every metric in :mod:`serlib.evaluate` takes ``labels``, the class order of the tables, and
maps ``y_true`` and ``y_pred`` to positions ``0 .. C-1`` in that order first. Labels may be
strings (emotion names) or integer class ids; a value that is not in ``labels`` is an error,
never silently dropped.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from serlib.data.labels import encode_labels
from serlib.errors import LabelSetError

__all__ = ["check_labels", "encode_labels"]

# one encoder for the whole library: emotion names or class ids -> positions in a class order


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
