"""Mean ± standard deviation over training seeds, per experimental condition.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["format_mean_std", "summarize_seeds"]


def format_mean_std(mean: float, std: float, *, percent: bool = True, decimals: int = 1) -> str:
    """``"50.1 ± 0.8"``; just the mean when the std is undefined (a single seed)."""
    scale = 100.0 if percent else 1.0
    if not np.isfinite(mean):
        return "–"
    if not np.isfinite(std):
        return f"{mean * scale:.{decimals}f}"
    return f"{mean * scale:.{decimals}f} ± {std * scale:.{decimals}f}"


def summarize_seeds(
    results: pd.DataFrame,
    *,
    by: Sequence[str],
    metrics: Sequence[str],
    percent: bool = True,
    decimals: int = 1,
) -> pd.DataFrame:
    """Mean, standard deviation and count of each metric over the rows (seeds) of each group.

    Baklouti et al. (2024) repeat each experiment ten times and report mean ± std; this
    turns a tidy table with one row per run into that summary.

    Args:
        results: one row per run, with the ``by`` columns and the ``metrics`` columns.
        by: the columns that define a condition (e.g. ``["method", "language"]``).
        metrics: metric columns (fractions, e.g. ``["wa", "uar"]``).
        percent: format the summary column in percent (values × 100).
        decimals: decimals of the summary column.

    Returns:
        One row per group, in order of first appearance, with the ``by`` columns and, per
        metric ``m``: ``m_mean``, ``m_std`` (sample std, ``ddof=1``; NaN for one run),
        ``m_count`` (non-missing runs) and ``m``, a string ``"mean ± std"``.

    Raises:
        KeyError: if a column is missing from ``results``.

    Chapter: book/05_measuring.md
    """
    by, metrics = list(by), list(metrics)
    missing = [c for c in by + metrics if c not in results.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in results (columns: {list(results.columns)})")
    if not by:
        raise ValueError("by is empty; name at least one column that defines a condition")
    grouped = results.groupby(by, sort=False, dropna=False)[metrics]
    stats = grouped.agg(["mean", "std", "count"])
    out = pd.DataFrame(index=stats.index)
    for m in metrics:
        out[m] = [
            format_mean_std(mu, sd, percent=percent, decimals=decimals)
            for mu, sd in zip(stats[(m, "mean")], stats[(m, "std")], strict=True)
        ]
        out[f"{m}_mean"] = stats[(m, "mean")]
        out[f"{m}_std"] = stats[(m, "std")]
        out[f"{m}_count"] = stats[(m, "count")].astype(int)
    return out.reset_index()
