"""Results files: one row per run (CSV, written atomically), and their summary over seeds.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluate import format_table, save_table_csv, summarize_seeds

__all__ = ["CONDITION", "RESULT_COLUMNS", "append_result", "read_results", "render_summary",
           "save_summary", "summarize_results"]

#: the columns of a results file, in order (one row per run)
RESULT_COLUMNS = (
    "run_key", "status", "error", "experiment", "method", "source", "target", "n_labels",
    "threshold", "trade_off", "hyper", "seed", "profile", "backbone", "recipe", "label_set",
    "source_split_id", "target_split_id", "selected_on", "best_epoch", "dev_uar", "epochs",
    "wa", "uar", "macro_f1", "n", "uar_low", "uar_high", "chance_wa", "chance_uar",
    "source_wa", "source_uar", "source_macro_f1", "source_n", "source_uar_low",
    "source_uar_high", "source_chance_wa", "source_chance_uar",
    "n_source_train", "n_target_labelled", "n_target_unlabelled",
    "wall_time", "model_path", "serlib_version", "finished_at",
)

#: the columns that define a condition (the seeds of a condition are summarised)
CONDITION = ("source", "target", "method", "n_labels", "threshold", "trade_off")


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The results file at ``path``, or an empty table with :data:`RESULT_COLUMNS`."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    return pd.read_csv(path, dtype={"n_labels": str, "run_key": str, "source_split_id": str,
                                    "target_split_id": str})


def append_result(path: str | os.PathLike[str], results: pd.DataFrame,
                  row: dict) -> pd.DataFrame:
    """``results`` plus ``row``, written to ``path`` atomically; returns the new table."""
    new = pd.DataFrame([{c: row.get(c) for c in RESULT_COLUMNS}])
    new["n_labels"] = new["n_labels"].astype(str)
    out = new if results.empty else pd.concat([results, new], ignore_index=True)
    save_table_csv(out, path)
    return out


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
