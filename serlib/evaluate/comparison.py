"""A comparison table from results rows: mean ± std over seeds, interval and chance beside.

Every comparison the book prints shows, per condition, the UAR and WA as mean ± std over
the training seeds, a 95 % bootstrap interval of the UAR (over test utterances; the table
shows the mean of the seeds' interval bounds) and the chance levels of the test split.
:func:`compare_runs` builds that table from the tidy rows of ``Study.grid`` (or any rows
with the columns of :data:`serlib.evaluate.SCORE_KEYS`, optionally prefixed, e.g.
``source_`` for the source-language test split).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from serlib.evaluate.seeds import summarize_seeds

__all__ = ["compare_runs"]

_METRICS = ("uar", "wa", "uar_low", "uar_high", "chance_uar", "chance_wa")


def compare_runs(results: pd.DataFrame, *, by: Sequence[str], prefix: str = "",
                 names: Mapping[str, str] | None = None, decimals: int = 1) -> pd.DataFrame:
    """One row per condition: UAR and WA (mean ± std, %), mean 95 % interval, chance, seeds.

    Args:
        results: one row per run (seed) with ``{prefix}uar``, ``{prefix}wa``,
            ``{prefix}uar_low``, ``{prefix}uar_high``, ``{prefix}chance_uar``,
            ``{prefix}chance_wa`` and the ``by`` columns.
        by: the columns that define a condition (kept, in order of first appearance).
        prefix: the score columns' prefix (``"source_"`` for the source test split).
        names: renames of the ``by`` columns for display.
        decimals: decimals of every percentage.

    Returns:
        Display strings: the ``by`` columns, ``UAR (%)``, ``95 % CI of UAR (%)``,
        ``WA (%)``, ``chance UAR (%)``, ``chance WA (%)`` and ``seeds`` (render it with
        :func:`serlib.evaluate.format_table`).

    Raises:
        KeyError: a column is missing.

    Chapter: book/06_cross_lingual_gap.md
    """
    columns = {f"{prefix}{m}": m for m in _METRICS}
    missing = [c for c in [*by, *columns] if c not in results.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the results (columns: "
                       f"{list(results.columns)}); pass prefix='source_' for the source split?")
    table = results[[*by, *columns]].rename(columns=columns)
    summary = summarize_seeds(table, by=list(by), metrics=list(_METRICS), decimals=decimals)

    def pct(value: float) -> str:
        return "–" if not np.isfinite(value) else f"{100 * value:.{decimals}f}"

    out = summary[list(by)].rename(columns=dict(names or {}))
    out["UAR (%)"] = summary["uar"]
    out["95 % CI of UAR (%)"] = [f"[{pct(lo)}, {pct(hi)}]" for lo, hi in
                                 zip(summary["uar_low_mean"], summary["uar_high_mean"],
                                     strict=True)]
    out["WA (%)"] = summary["wa"]
    out["chance UAR (%)"] = [pct(v) for v in summary["chance_uar_mean"]]
    out["chance WA (%)"] = [pct(v) for v in summary["chance_wa_mean"]]
    out["seeds"] = summary["uar_count"].astype(int)
    return out
