"""One table for every comparison of methods: mean ± std over seeds, an interval, chance.

A results row holds one run's UAR on the target test split with a 95 % bootstrap interval
over the test utterances (``uar_low``, ``uar_high``), the UAR on the source test split and
the chance level. :func:`comparison_table` turns the rows of several seeds per condition
into the table the book shows: the mean ± standard deviation over seeds (how much training
randomness moves the result), the interval averaged over seeds (how much the small test
set leaves open), the chance level, and the number of seeds.

Chapter: book/08_pseudo_labels.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from serlib.evaluate.seeds import summarize_seeds

__all__ = ["comparison_table"]

#: display names of the metric columns of a results row
METRIC_NAMES = {"uar": "UAR (%)", "wa": "WA (%)", "source_uar": "source UAR (%)",
                "source_wa": "source WA (%)", "macro_f1": "macro-F1 (%)"}


def _interval(low: float, high: float, decimals: int) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    return f"[{100 * low:.{decimals}f}, {100 * high:.{decimals}f}]"


def comparison_table(results: pd.DataFrame, by: Sequence[str], *,
                     metrics: Sequence[str] = ("uar", "source_uar"), interval: str = "uar",
                     names: Mapping[str, str] | None = None,
                     decimals: int = 1) -> pd.DataFrame:
    """Mean ± std over seeds per condition, the mean 95 % interval and the chance level.

    Args:
        results: one row per run (results rows: ``seed``, the ``metrics``,
            ``<interval>_low``, ``<interval>_high`` and ``chance_uar``).
        by: the columns that define a condition (e.g. ``["method", "n_labels"]``); they
            are kept, renamed by ``names``.
        metrics: metric columns (fractions), shown as "mean ± std" in percent.
        interval: the metric whose bootstrap interval is shown (bounds averaged over seeds).
        names: display names of the ``by`` columns.
        decimals: decimals of every number.

    Returns:
        One row per condition in order of first appearance: the ``by`` columns, one column
        per metric ("UAR (%)", ...), "95 % interval (%)", "chance (%)" and "seeds".

    Raises:
        KeyError: a column is missing.
        ValueError: ``results`` is empty.

    Chapter: book/08_pseudo_labels.md
    """
    if results.empty:
        raise ValueError("no results to compare (did every run fail or get skipped?)")
    low, high = f"{interval}_low", f"{interval}_high"
    needed = [*by, *metrics, low, high, "chance_uar", "seed"]
    missing = [c for c in needed if c not in results.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the results (columns: "
                       f"{list(results.columns)})")
    summary = summarize_seeds(results, by=by, metrics=[*metrics, low, high, "chance_uar"],
                              decimals=decimals)
    seeds = results.groupby(list(by), sort=False, dropna=False)["seed"].nunique()
    out = summary[list(by)].rename(columns=dict(names or {}))
    for m in metrics:
        out[METRIC_NAMES.get(m, f"{m} (%)")] = summary[m]
    out["95 % interval (%)"] = [_interval(lo, hi, decimals) for lo, hi in
                                zip(summary[f"{low}_mean"], summary[f"{high}_mean"],
                                    strict=True)]
    out["chance (%)"] = [f"{100 * c:.{decimals}f}" for c in summary["chance_uar_mean"]]
    out["seeds"] = seeds.to_numpy()
    return out
