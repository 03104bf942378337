"""Datasets from a metadata table: pair its rows with their features and class ids.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from torch import Tensor

from serlib.data.labels import encode_labels
from serlib.features.batching import UtteranceDataset

__all__ = ["split_datasets", "table_dataset"]


def table_dataset(table: pd.DataFrame, feats: Sequence[Tensor], *, labels: str | Sequence[str],
                  rows: Sequence[bool] | np.ndarray | pd.Series | None = None,
                  hide_labels: bool = False) -> UtteranceDataset:
    """The utterances of ``table`` (those where ``rows`` is True) as a dataset.

    Args:
        table: metadata rows with ``emotion``, in the same order as ``feats``.
        feats: one feature tensor per row.
        labels: the class order: a label-set name (e.g. ``"agarla5"``) or a list of emotions.
        rows: a boolean mask over the rows (None: all rows); rows keep their table order.
        hide_labels: give every utterance the label ``UNLABELLED`` (unlabelled target data:
            the learner never sees the emotion).

    Raises:
        ValueError: ``table`` and ``feats`` (or ``rows``) differ in length.
    """
    if len(table) != len(feats):
        raise ValueError(f"the table has {len(table)} rows but {len(feats)} feature tensors")
    keep = np.ones(len(table), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    if keep.shape != (len(table),):
        raise ValueError(f"rows has {keep.size} entries for a table of {len(table)} rows")
    index = np.flatnonzero(keep)
    y = encode_labels(table["emotion"].iloc[index], labels)
    return UtteranceDataset([feats[i] for i in index], None if hide_labels else y.tolist())


def split_datasets(table: pd.DataFrame, feats: Sequence[Tensor], *, labels: str | Sequence[str],
                   by: str = "split") -> dict[str, UtteranceDataset]:
    """One :class:`UtteranceDataset` per value of ``table[by]`` (e.g. train, dev, test).

    Args:
        table: metadata rows, in the same order as ``feats``, with ``emotion`` and ``by``.
        feats: one feature tensor per row.
        labels: the class order: a label-set name (e.g. ``"agarla5"``) or a list of emotions.
        by: the column that names each row's part.

    Returns:
        ``{part: dataset}``; rows keep their table order within a part.
    """
    if by not in table.columns:
        raise ValueError(f"the table has no {by!r} column (make a split first)")
    parts = table[by].to_numpy()
    return {part: table_dataset(table, feats, labels=labels, rows=parts == part)
            for part in pd.unique(parts)}
