"""Check a metadata table read back from disk before anything trusts it.

A ``metadata.csv`` that was truncated, overwritten or edited by hand must not silently give
a shorter corpus, NaN durations or ``KeyError`` tracebacks later. :func:`read_metadata_csv`
reads one and returns either the table or the reason it cannot be trusted, so that the
caller can rebuild it (the synthetic corpus) or name the file in a typed error.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["check_metadata_table", "read_metadata_csv"]

_KEYS = ("path", "corpus", "speaker", "emotion")


def check_metadata_table(table: pd.DataFrame, columns: Sequence[str]) -> str | None:
    """None if ``table`` is a well-formed metadata table, else what is wrong with it.

    Checks: every column of ``columns`` is present, at least one row, no empty ``path``,
    ``corpus``, ``speaker`` or ``emotion``, no duplicated path, finite positive durations
    and positive integer sample rates.
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        return f"lacks the column(s) {missing}"
    if table.empty:
        return "holds no rows"
    for column in (c for c in _KEYS if c in table.columns):
        empty = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if empty.any():
            return f"row {int(np.argmax(empty.to_numpy())) + 2} has an empty {column!r}"
    if table["path"].duplicated().any():
        return f"lists {table.loc[table['path'].duplicated(), 'path'].iloc[0]!r} twice"
    for column in ("duration", "sample_rate"):
        if column not in table.columns:
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values <= 0)
        if column == "sample_rate":
            bad |= np.isfinite(values) & (values != np.round(values))
        if bad.any():
            row = int(np.argmax(bad))
            return f"row {row + 2} has {column}={table[column].iloc[row]!r}"
    return None


def read_metadata_csv(path: str | os.PathLike[str],
                      columns: Sequence[str]) -> tuple[pd.DataFrame | None, str | None]:
    """``(table, None)`` for a trustworthy CSV at ``path``, else ``(None, reason)``."""
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={"text_id": str, "speaker": str})
    except FileNotFoundError:
        return None, "does not exist"
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        return None, f"is unreadable ({type(err).__name__}: {err})"  # UnicodeDecodeError too
    reason = check_metadata_table(table, columns)
    if reason is not None:
        return None, reason
    table["sample_rate"] = table["sample_rate"].astype("int64")
    table["duration"] = table["duration"].astype("float64")
    return table, None
