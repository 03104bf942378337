"""Summaries of a results file: mean ± std over seeds (and folds) per condition, with the
chance levels, and the metric pooled over every target test utterance.

Under the ``speaker_folds`` protocol a condition has one run per fold and seed; its
``uar`` is the mean ± std over folds × seeds, and its ``pooled_uar`` the UAR of all those
runs' target-test predictions put together (each target utterance once per seed), with a
95 % bootstrap interval over utterances (``pooled_uar_low`` / ``pooled_uar_high``). With the
paper split the pooled metric is the seeds' predictions put together.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluate import (
    chance_levels,
    format_table,
    metrics_with_ci,
    save_table_csv,
    summarize_seeds,
)

__all__ = ["CONDITION", "render_summary", "save_summary", "summarize_results"]

#: the columns that define a condition (the seeds of a condition are summarised)
CONDITION = ("source", "target", "method", "n_labels", "threshold", "trade_off", "normalize",
             "adabn", "refine", "protocol")


def _hyper(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:g}"


def _pooled(keys: pd.Series, folder: Path, num_classes: int | None) -> dict[str, float]:
    """Metrics of the concatenated target-test predictions of the runs ``keys``."""
    parts = [folder / f"{k}.csv" for k in keys]
    if not all(p.is_file() for p in parts):
        return {}
    pred = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    labels = list(range(num_classes or int(max(pred.max())) + 1))
    scores = metrics_with_ci(pred["y_true"], pred["y_pred"], labels=labels, seed=0)
    chance = chance_levels(pred["y_true"], labels=labels)
    return {"pooled_uar": scores["uar"], "pooled_uar_low": scores["uar_low"],
            "pooled_uar_high": scores["uar_high"], "pooled_wa": scores["wa"],
            "pooled_n": scores["n"], "pooled_chance_uar": chance["uar"]}


def summarize_results(results: pd.DataFrame, *, predictions: str | os.PathLike[str] | None = None,
                      num_classes: int | None = None) -> pd.DataFrame:
    """Mean ± std over seeds (× folds) of each condition, with the chance levels.

    Args:
        results: one row per run (``read_results``).
        predictions: the folder of the runs' target-test predictions (``ResultPaths``); when
            given, the pooled metrics are added (see the module docstring).
        num_classes: the number of classes of the label set (None: from the predictions).

    Returns:
        One row per condition (:data:`CONDITION`): ``uar``, ``wa``, ``source_uar``,
        ``source_wa`` as "mean ± std" strings (percent), their ``*_mean``/``*_std``
        fractions, ``seeds``, ``folds``, ``runs``, ``selected_on``,
        ``chance_uar``/``chance_wa`` (fractions) and, with ``predictions``, ``pooled_*``.
    """
    if "status" in results.columns:
        results = results[results["status"].astype(str) == "ok"]
    if results.empty:
        return pd.DataFrame(columns=[*CONDITION, "uar", "wa", "seeds"])
    metrics = ["uar", "wa", "source_uar", "source_wa"]
    table = results.copy()
    for col in ("threshold", "trade_off"):
        table[col] = table[col].map(_hyper)
    for col in ("normalize", "protocol"):
        table[col] = table[col].fillna("–") if col in table else "–"
    table["adabn"] = table["adabn"].fillna(False).astype(bool) if "adabn" in table else False
    table["refine"] = table["refine"].fillna("none").astype(str) if "refine" in table else "none"
    if "fold" not in table:
        table["fold"] = np.nan
    # conditions in order of first appearance, each condition's runs in run-key order: the
    # summary (down to the bootstrap of the pooled interval) does not depend on the order in
    # which runs were appended, e.g. by parallel shards
    condition = table.groupby(list(CONDITION), sort=False, dropna=False).ngroup()
    table = table.assign(_condition=condition.to_numpy()).sort_values(
        ["_condition", "run_key"], kind="stable").drop(columns="_condition")
    summary = summarize_seeds(table, by=list(CONDITION), metrics=metrics)
    extra = table.groupby(list(CONDITION), sort=False, dropna=False).agg(
        chance_uar=("chance_uar", "mean"), chance_wa=("chance_wa", "mean"),
        selected_on=("selected_on", lambda s: "/".join(sorted(set(map(str, s))))),
        seeds=("seed", "nunique"), folds=("fold", "nunique"), runs=("run_key", "count"),
        keys=("run_key", list)).reset_index()
    if predictions is not None:
        pooled = pd.DataFrame([_pooled(pd.Series(k), Path(predictions), num_classes)
                               for k in extra["keys"]], index=extra.index)
        extra = pd.concat([extra, pooled], axis=1)
    return summary.merge(extra.drop(columns="keys"), on=list(CONDITION), how="left")


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
    percent = ["chance_uar", "chance_wa"]
    if "pooled_uar" in summary and summary["pooled_uar"].notna().any():
        shown.insert(7, "pooled UAR [95 % CI]", [
            "–" if pd.isna(u) else f"{100 * u:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
            for u, lo, hi in zip(summary["pooled_uar"], summary["pooled_uar_low"],
                                 summary["pooled_uar_high"], strict=True)])
    if summary["folds"].max() > 0:
        shown["folds"] = summary["folds"]
    return format_table(shown, percent=percent)


def save_summary(summary: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the summary CSV atomically."""
    return save_table_csv(summary, path)
