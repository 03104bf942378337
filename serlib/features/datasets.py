"""Datasets per split: pair a metadata table's rows with their features and class ids.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from torch import Tensor

from serlib.data.labels import encode_labels
from serlib.features.batching import UtteranceDataset

__all__ = ["split_datasets"]


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
    if len(table) != len(feats):
        raise ValueError(f"the table has {len(table)} rows but {len(feats)} feature tensors")
    if by not in table.columns:
        raise ValueError(f"the table has no {by!r} column (make a split first)")
    y = encode_labels(table["emotion"], labels)
    parts = table[by].to_numpy()
    return {
        part: UtteranceDataset([feats[i] for i in range(len(feats)) if parts[i] == part],
                               [int(y[i]) for i in range(len(feats)) if parts[i] == part])
        for part in pd.unique(parts)
    }
