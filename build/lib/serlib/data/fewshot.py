"""Few-label subsets for the 0-100-label sweeps of semi-supervised cross-lingual SER.

In the low-resource setting of Agarla et al. (2024) only ``n`` utterances of the new language
are labelled; the rest of its training part is unlabelled. :func:`few_label_subset` draws
those ``n`` from the train part, balanced over classes, and is *nested*: with the same seed,
the labelled set for ``n`` is contained in the one for any larger ``n``, so a sweep adds
labels instead of redrawing them.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serlib.errors import SplitError

__all__ = ["few_label_subset"]


def few_label_subset(table: pd.DataFrame, n: int, *, seed: int = 0,
                     part: str = "train") -> pd.DataFrame:
    """Mark ``n`` class-balanced utterances of the ``part`` split as labelled.

    Classes take turns in a seeded order, one utterance at a time; a class that runs out
    is skipped, so the counts differ by at most one except where a class is too small.

    Args:
        table: a table with a ``split`` column (see :func:`serlib.data.speaker_split`).
        n: number of labelled utterances (0 = none).
        seed: the draw seed (independent of the split seed).
        part: which split part the labelled utterances come from.

    Returns:
        A copy of ``table`` with a boolean ``labelled`` column: True for the ``n`` chosen
        rows; the other rows of ``part`` form the unlabelled pool.

    Raises:
        SplitError: no ``split`` column, or ``n`` outside [0, size of ``part``].
    """
    if "split" not in table:
        raise SplitError("the table has no 'split' column; call speaker_split first")
    if not table.index.is_unique:
        raise SplitError("the table's index has duplicates; call reset_index(drop=True) first")
    pool = table[table["split"] == part].sort_values("path")
    if not 0 <= n <= len(pool):
        raise SplitError(f"n={n} labelled utterances requested but the {part!r} part "
                         f"holds {len(pool)}")
    rng = np.random.default_rng(seed)
    classes = sorted(pool["emotion"].unique())
    order = [classes[i] for i in rng.permutation(len(classes))]
    rows = {c: pool.index[pool["emotion"] == c].to_numpy() for c in classes}
    rows = {c: r[rng.permutation(len(r))] for c, r in rows.items()}
    taken = dict.fromkeys(classes, 0)
    pointer = 0
    for _ in range(n):
        while taken[order[pointer % len(order)]] >= len(rows[order[pointer % len(order)]]):
            pointer += 1
        taken[order[pointer % len(order)]] += 1
        pointer += 1
    chosen = np.concatenate([rows[c][:taken[c]] for c in classes]) if classes else []
    out = table.copy()
    out["labelled"] = False
    out.loc[chosen, "labelled"] = True
    return out
