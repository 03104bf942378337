"""Results tables: Markdown for the book, CSV (written atomically) for the record.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.atomic import atomic_path
from serlib.evaluate.metrics import METRICS

__all__ = ["PERCENT_METRICS", "format_table", "percent_columns", "save_table_csv"]

#: metric names whose values are fractions (plus ``<name>_mean`` etc., see percent_columns)
PERCENT_METRICS = (*METRICS, "accuracy", "chance_wa", "chance_uar")


def percent_columns(df: pd.DataFrame) -> list[str]:
    """Float columns that hold fractions: a metric name, or ``<metric>_<suffix>``.

    Suffixes are ``mean``, ``std``, ``low``, ``high`` (``<metric>_count`` is a count).
    """
    out = []
    for col in df.columns:
        name = str(col)
        if not pd.api.types.is_float_dtype(df[col]):
            continue
        base, _, suffix = name.rpartition("_")
        if name in PERCENT_METRICS or (
            base in PERCENT_METRICS and suffix in ("mean", "std", "low", "high")
        ):
            out.append(col)
    return out


def format_table(
    df: pd.DataFrame,
    *,
    percent: Sequence[str] | None = None,
    decimals: int = 1,
    index: bool = False,
    percent_suffix: str = " (%)",
) -> str:
    """Render a tidy results table as Markdown, with fractions shown as percentages.

    Args:
        df: the table (e.g. from :func:`~serlib.evaluate.seeds.summarize_seeds`).
        percent: columns to show × 100; None picks :func:`percent_columns`.
        decimals: decimals of every float column.
        index: include the index.
        percent_suffix: appended to the header of percentage columns.

    Returns:
        A Markdown (pipe) table; missing values are shown as "–".

    Chapter: book/05_measuring.md
    """
    percent = percent_columns(df) if percent is None else list(percent)
    missing = [c for c in percent if c not in df.columns]
    if missing:
        raise KeyError(f"percent columns {missing} are not in the table")
    shown = df.copy()
    for col in shown.columns:
        if not pd.api.types.is_float_dtype(shown[col]):
            continue
        scale = 100.0 if col in percent else 1.0
        shown[col] = [
            "–" if not np.isfinite(v) else f"{v * scale:.{decimals}f}" for v in shown[col]
        ]
    shown = shown.rename(columns={c: f"{c}{percent_suffix}" for c in percent})
    return shown.to_markdown(index=index, disable_numparse=True)


def save_table_csv(df: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write ``df`` to ``path`` as CSV atomically (raw fractions, full precision).

    Chapter: book/05_measuring.md
    """
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=index)
    return Path(path)
