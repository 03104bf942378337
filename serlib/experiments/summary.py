"""Summaries of a results file: mean ± std over seeds per condition, with chance levels.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluate import format_table, save_table_csv, summarize_seeds

__all__ = ["CONDITION", "render_summary", "save_summary", "summarize_results"]

#: the columns that define a condition (the seeds of a condition are summarised)
CONDITION = ("source", "target", "method", "n_labels", "threshold", "trade_off")


def _hyper(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:g}"


def summarize_results(results: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std over seeds of each condition, with the chance levels of its test split.

    Returns:
        One row per condition (:data:`CONDITION`): ``uar``, ``wa``, ``source_uar``,
        ``source_wa`` as "mean ± std" strings (percent), their ``*_mean``/``*_std``
        fractions, ``seeds``, ``selected_on`` and ``chance_uar``/``chance_wa`` (fractions).
    """
    if "status" in results.columns:
        results = results[results["status"].astype(str) == "ok"]
    if results.empty:
        return pd.DataFrame(columns=[*CONDITION, "uar", "wa", "seeds"])
    metrics = ["uar", "wa", "source_uar", "source_wa"]
    table = results.copy()
    for col in ("threshold", "trade_off"):
        table[col] = table[col].map(_hyper)
    summary = summarize_seeds(table, by=list(CONDITION), metrics=metrics)
    extra = table.groupby(list(CONDITION), sort=False, dropna=False).agg(
        chance_uar=("chance_uar", "mean"), chance_wa=("chance_wa", "mean"),
        selected_on=("selected_on", lambda s: "/".join(sorted(set(map(str, s))))),
        seeds=("seed", "nunique")).reset_index()
    return summary.merge(extra, on=list(CONDITION), how="left")


def render_summary(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table (UAR, WA, source UAR, chance levels beside them)."""
    if summary.empty:
        return "(no results yet)"
    shown = pd.DataFrame({
        "task": summary["source"] + " → " + summary["target"],
        "method": summary["method"], "labels": summary["n_labels"],
        "τ": summary["threshold"], "trade-off": summary["trade_off"],
        "UAR (%)": summary["uar"], "WA (%)": summary["wa"],
        "chance_uar": summary["chance_uar"], "chance_wa": summary["chance_wa"],
        "source UAR (%)": summary["source_uar"], "selected on": summary["selected_on"],
        "seeds": summary["seeds"],
    })
    return format_table(shown, percent=["chance_uar", "chance_wa"])


def save_summary(summary: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the summary CSV atomically."""
    return save_table_csv(summary, path)
