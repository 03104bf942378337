"""Summaries of a results file: mean ± std over seeds (and folds) per condition, with the
chance levels, and the metric pooled over every target test utterance.

Under the ``speaker_folds`` protocol a condition has one run per fold and seed; its
``uar`` is the mean ± std over folds × seeds, and its ``pooled_uar`` the UAR of all those
runs' target-test predictions put together (each target utterance once per seed), with a
95 % bootstrap interval over utterances (``pooled_uar_low`` / ``pooled_uar_high``). With the
paper split the pooled metric is the seeds' predictions put together.

**A condition is the full configuration that produced a row.** Its columns are
:data:`CONDITION` plus ``config_digest`` (a hash of the resolved configuration except the
seed and fold, written into every row by the runner). Rows of different configurations are
never pooled, even under the same condition name (an experiment re-run after editing ``lr``,
or two experiments' files summarised together): each is its own row of the summary, with a
``config`` column telling them apart, and the summary's ``notes`` (``summary.attrs["notes"]``,
printed under the table) say which names hold several configurations. Rows written before
the digest existed get one derived from the columns they hold (:data:`LEGACY_DIGEST`), with a
:class:`~serlib.errors.DataWarning`.

**Chance levels.** ``chance_uar`` / ``chance_wa`` are the means over a condition's runs
(folds); with unbalanced folds a fold missing a class has chance ``1/(C-1)``, so compare the
pooled UAR with ``pooled_chance_uar`` (the chance level of the pooled test set) instead.
Metric columns are always read as numbers, whatever the CSVs held (an empty or header-only
file concatenated with a good one must not turn them into text).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.config import config_hash
from serlib.errors import DataWarning
from serlib.evaluate import (
    chance_levels,
    format_table,
    metrics_with_ci,
    save_table_csv,
    summarize_seeds,
)

__all__ = ["CONDITION", "LEGACY_DIGEST", "NUMERIC", "render_summary", "save_summary",
           "summarize_results"]

#: the named columns of a condition (with ``config_digest``, see the module docstring)
CONDITION = ("source", "target", "method", "n_labels", "threshold", "trade_off", "frames",
             "normalize", "adabn", "refine", "protocol")
#: columns of rows without ``config_digest`` that make up the digest derived for them
LEGACY_DIGEST = (*CONDITION, "hyper", "backbone", "recipe", "label_set", "profile",
                 "experiment")
#: columns that are numbers (read as float whatever dtype the CSVs gave them)
NUMERIC = ("uar", "wa", "source_uar", "source_wa", "chance_uar", "chance_wa", "seed", "fold",
           "threshold", "trade_off")
#: columns shown per condition when the results hold them (constant within a configuration)
_INFO = ("test_time_info", "labels_used")


def _hyper(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:g}"


def _pooled(keys: pd.Series, folders: list[Path], num_classes: int | None
            ) -> dict[str, float]:
    """Metrics of the concatenated target-test predictions of the runs ``keys`` (each run's
    file taken from the first of ``folders`` that holds it)."""
    parts = [next((f / f"{k}.csv" for f in folders if (f / f"{k}.csv").is_file()), None)
             for k in keys]
    if any(p is None for p in parts):
        return {}
    pred = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    labels = list(range(num_classes or int(max(pred.max())) + 1))
    scores = metrics_with_ci(pred["y_true"], pred["y_pred"], labels=labels, seed=0)
    chance = chance_levels(pred["y_true"], labels=labels)
    return {"pooled_uar": scores["uar"], "pooled_uar_low": scores["uar_low"],
            "pooled_uar_high": scores["uar_high"], "pooled_wa": scores["wa"],
            "pooled_n": scores["n"], "pooled_chance_uar": chance["uar"]}


def _digests(table: pd.DataFrame) -> pd.Series:
    """Each row's configuration digest (derived from its columns where the file has none)."""
    have = (table["config_digest"].astype("string").str.strip()
            if "config_digest" in table else pd.Series(pd.NA, index=table.index, dtype="string"))
    missing = have.isna() | (have == "")
    if missing.any():
        cols = [c for c in LEGACY_DIGEST if c in table]
        derived = table.loc[missing, cols].astype(str).apply(
            lambda row: "legacy-" + config_hash(list(row), length=8), axis=1)
        have = have.astype(object)
        have[missing] = derived
        warnings.warn(f"{int(missing.sum())} result row(s) have no config_digest (written "
                      "before serlib recorded one): their configuration is told apart by the "
                      f"columns {cols} only, so a change to anything else (lr, epochs, "
                      "backbone options) is not seen; re-run them to be sure",
                      DataWarning, stacklevel=3)
    return have.astype(str)


def _notes(summary: pd.DataFrame) -> list[str]:
    """Which condition names hold rows of several configurations."""
    notes = []
    for name, group in summary.groupby(list(CONDITION), sort=False, dropna=False):
        if group["config_digest"].nunique() > 1:
            what = dict(zip(("source", "target", "method", "n_labels"), name[:4], strict=True))
            notes.append(f"{what['method']} {what['source']} → {what['target']} "
                         f"(n_labels {what['n_labels']}): {group['config_digest'].nunique()} "
                         f"different configurations ({', '.join(group['config_digest'])}) "
                         "are summarised apart, never pooled; check which one you mean")
    return notes


def summarize_results(results: pd.DataFrame, *,
                      predictions: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
                      | None = None,
                      num_classes: int | None = None) -> pd.DataFrame:
    """Mean ± std over seeds (× folds) of each condition, with the chance levels.

    Args:
        results: one row per run (``read_results``).
        predictions: the folder of the runs' target-test predictions (``ResultPaths``), or
            several (files summarised together); when given, the pooled metrics are added
            (see the module docstring).
        num_classes: the number of classes of the label set (None: from the predictions).

    Returns:
        One row per configuration (:data:`CONDITION` and ``config_digest``): ``uar``,
        ``wa``, ``source_uar``, ``source_wa`` as "mean ± std" strings (percent), their
        ``*_mean``/``*_std`` fractions, ``seeds``, ``folds``, ``runs``, ``selected_on``,
        ``chance_uar``/``chance_wa`` (fractions, means over runs), ``test_time_info`` and
        ``labels_used`` when the rows hold them and, with ``predictions``, ``pooled_*``
        (``pooled_chance_uar`` beside ``pooled_uar``). ``attrs["notes"]`` lists the names
        that hold several configurations.
    """
    if "status" in results.columns:
        results = results[results["status"].astype(str) == "ok"]
    if results.empty:
        empty = pd.DataFrame(columns=[*CONDITION, "config_digest", "uar", "wa", "seeds"])
        empty.attrs["notes"] = []
        return empty
    metrics = ["uar", "wa", "source_uar", "source_wa"]
    table = results.copy()
    for col in NUMERIC:  # an empty or header-only file in a concat leaves dtype object
        table[col] = pd.to_numeric(table[col], errors="coerce") if col in table else np.nan
    table["config_digest"] = _digests(table)
    key = [*CONDITION, "config_digest"]
    for col in ("threshold", "trade_off"):
        table[col] = table[col].map(_hyper)
    for col in ("frames", "normalize", "protocol"):
        table[col] = table[col].fillna("–") if col in table else "–"
    table["adabn"] = table["adabn"].fillna(False).astype(bool) if "adabn" in table else False
    table["refine"] = table["refine"].fillna("none").astype(str) if "refine" in table else "none"
    if "fold" not in table:
        table["fold"] = np.nan
    # conditions in order of first appearance, each condition's runs in run-key order: the
    # summary (down to the bootstrap of the pooled interval) does not depend on the order in
    # which runs were appended, e.g. by parallel shards
    condition = table.groupby(key, sort=False, dropna=False).ngroup()
    table = table.assign(_condition=condition.to_numpy()).sort_values(
        ["_condition", "run_key"], kind="stable").drop(columns="_condition")
    summary = summarize_seeds(table, by=key, metrics=metrics)
    joined = {c: (c, lambda s: "/".join(sorted(set(map(str, s.dropna()))))) for c in _INFO
              if c in table and table[c].notna().any()}
    extra = table.groupby(key, sort=False, dropna=False).agg(
        chance_uar=("chance_uar", "mean"), chance_wa=("chance_wa", "mean"),
        selected_on=("selected_on", lambda s: "/".join(sorted(set(map(str, s))))),
        seeds=("seed", "nunique"), folds=("fold", "nunique"), runs=("run_key", "count"),
        keys=("run_key", list), **joined).reset_index()
    if predictions is not None:
        folders = [Path(predictions)] if isinstance(predictions, str | os.PathLike) \
            else [Path(p) for p in predictions]
        pooled = pd.DataFrame([_pooled(pd.Series(k), folders, num_classes)
                               for k in extra["keys"]], index=extra.index)
        extra = pd.concat([extra, pooled], axis=1)
    out = summary.merge(extra.drop(columns="keys"), on=key, how="left")
    out.attrs["notes"] = _notes(out)
    for note in out.attrs["notes"]:
        warnings.warn(note, DataWarning, stacklevel=2)
    return out


def render_summary(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table (UAR, WA, source UAR, chance levels beside them).

    The numbers are the summary's own, rounded to one decimal of a percent (a test compares
    them with the CSV). With pooled metrics, the pooled UAR, its 95 % interval and the pooled
    chance level stand side by side. Notes (several configurations under one name) follow.
    """
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
    notes = summary.attrs.get("notes") or []
    if "pooled_uar" in summary and summary["pooled_uar"].notna().any():
        shown.insert(7, "pooled UAR [95 % CI]", [
            "–" if pd.isna(u) else f"{100 * u:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
            for u, lo, hi in zip(summary["pooled_uar"], summary["pooled_uar_low"],
                                 summary["pooled_uar_high"], strict=True)])
        shown.insert(8, "pooled chance_uar", summary["pooled_chance_uar"])
        percent.append("pooled chance_uar")
    for col, title in (("test_time_info", "test-time info"), ("labels_used", "n labels used")):
        if col in summary:
            shown[title] = summary[col].fillna("–")
    if notes:  # a name that holds several configurations: tell its rows apart
        shown["config"] = summary["config_digest"]
    if summary["folds"].max() > 0:
        shown["folds"] = summary["folds"]
    for col in percent:  # fractions as numbers, whatever dtype they arrived with
        shown[col] = pd.to_numeric(shown[col], errors="coerce")
    return format_table(shown, percent=percent) + "".join(f"\nnote: {n}" for n in notes)


def save_summary(summary: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the summary CSV atomically."""
    return save_table_csv(summary, path)
