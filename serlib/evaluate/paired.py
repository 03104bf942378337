"""Paired comparisons of two conditions: may a chapter say "X beats Y"?

Two methods run on the same splits (the same target fold) with the same seeds form *pairs*:
each pair shares its test utterances, its labelled subset and its initial weights, so the
difference of their scores holds the method's effect without the split's luck. Chapter 5
shows that one split of a ten-speaker corpus cannot rank methods; the rule the book follows
is this module's:

- the differences of every matched pair (folds × seeds) are resampled with replacement
  (a percentile bootstrap of their mean), and a sign test counts how many pairs go each way;
- "X beats Y" only when the 95 % interval of the mean difference excludes zero; otherwise
  the two are *not distinguishable here*.

:func:`paired_comparison` does the arithmetic, :func:`paired_verdict` writes the sentence
a chapter glues. Pairs are matched on columns that identify a split and a seed (by default
``target``, ``fold`` and ``seed``); an unmatched run is left out and counted.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PairedComparison", "paired_comparison", "paired_verdict", "sign_test"]

#: columns that identify a pair (those present in the results are used)
PAIR_KEYS = ("target", "fold", "seed")


def sign_test(diffs: Sequence[float]) -> float:
    """Two-sided exact sign test of "the median difference is zero" (ties dropped).

    Args:
        diffs: paired differences.

    Returns:
        The p-value (1.0 when every difference is zero).
    """
    d = np.asarray(diffs, dtype=float)
    d = d[d != 0]
    n = d.size
    if n == 0:
        return 1.0
    k = int(min((d > 0).sum(), (d < 0).sum()))
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0 ** n
    return float(min(1.0, 2.0 * tail))


@dataclass(frozen=True)
class PairedComparison:
    """Condition ``a`` minus condition ``b`` over matched pairs.

    Attributes:
        a: name of the first condition.
        b: name of the second condition.
        metric: the compared column (fractions, e.g. ``uar``).
        n_pairs: matched pairs (folds × seeds).
        n_unmatched: runs of either condition without a partner (left out).
        mean_diff: mean of ``a - b`` over the pairs (a fraction).
        low: lower bound of the 95 % bootstrap interval of the mean difference.
        high: upper bound.
        wins: pairs where ``a`` scored higher.
        losses: pairs where ``b`` scored higher.
        p_sign: two-sided sign-test p-value.
    """

    a: str
    b: str
    metric: str
    n_pairs: int
    n_unmatched: int
    mean_diff: float
    low: float
    high: float
    wins: int
    losses: int
    p_sign: float

    @property
    def verdict(self) -> str:
        """``"a"`` or ``"b"`` (the interval excludes zero on that side) or ``"tie"``."""
        if self.n_pairs >= 2 and self.low > 0:
            return "a"
        if self.n_pairs >= 2 and self.high < 0:
            return "b"
        return "tie"


def _matched(results: pd.DataFrame, column: str, a: str, b: str, metric: str,
             keys: Sequence[str] | None) -> tuple[pd.DataFrame, int]:
    for name in (column, metric):
        if name not in results.columns:
            raise KeyError(f"column {name!r} is not in the results (columns: "
                           f"{list(results.columns)})")
    keys = [k for k in (keys or PAIR_KEYS) if k in results.columns]
    if not keys:
        raise KeyError(f"none of the pair columns {list(PAIR_KEYS)} is in the results")
    values = results[column].astype(str)
    rows = {}
    for name in (a, b):
        part = results[values == str(name)]
        if part.empty:
            raise ValueError(f"no results row has {column} = {name!r} (values: "
                             f"{sorted(values.unique())})")
        keyed = part.assign(**{k: part[k].astype(str) for k in keys})
        if keyed.duplicated(keys).any():
            raise ValueError(f"{column} = {name!r} has several rows per {keys}: filter the "
                             "results to one condition per name first")
        rows[name] = keyed.set_index(keys)[metric].astype(float)
    joined = pd.concat({"a": rows[a], "b": rows[b]}, axis=1, join="inner")
    joined = joined[np.isfinite(joined["a"]) & np.isfinite(joined["b"])]
    unmatched = len(rows[a]) + len(rows[b]) - 2 * len(joined)
    return joined, unmatched


def paired_comparison(results: pd.DataFrame, column: str, a: str, b: str, *,
                      metric: str = "uar", keys: Sequence[str] | None = None,
                      n_boot: int = 2000, seed: int = 0) -> PairedComparison:
    """Condition ``a`` minus condition ``b`` over runs matched by split and seed.

    Args:
        results: one row per run (a results CSV or a chapter's ``Study`` rows).
        column: the column that names the conditions (e.g. ``method``, ``trade_off``).
        a: the value of ``column`` of the first condition.
        b: the value of the second.
        metric: the metric column (fractions).
        keys: columns that match a pair (default: those of ``target``, ``fold``, ``seed``
            present in ``results``).
        n_boot: bootstrap resamples of the pairs.
        seed: seed of the resampling.

    Returns:
        The comparison (mean difference, its 95 % interval, the sign test).

    Raises:
        KeyError: a column is missing.
        ValueError: a condition has no row, several rows per pair, or no pair matches.
    """
    joined, unmatched = _matched(results, column, str(a), str(b), metric, keys)
    if joined.empty:
        raise ValueError(f"no run of {column} = {a!r} shares a split and seed with one of "
                         f"{column} = {b!r}")
    diffs = (joined["a"] - joined["b"]).to_numpy()  # (pairs,)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, diffs.size, size=(n_boot, diffs.size))  # (n_boot, pairs)
    means = diffs[draws].mean(axis=1)  # (n_boot,)
    low, high = np.percentile(means, [2.5, 97.5])
    return PairedComparison(str(a), str(b), metric, int(diffs.size), int(unmatched),
                            float(diffs.mean()), float(low), float(high),
                            int((diffs > 0).sum()), int((diffs < 0).sum()),
                            sign_test(diffs))


def paired_verdict(comparison: PairedComparison, *, names: dict[str, str] | None = None,
                   decimals: int = 1, unit: str = "fold × seed") -> str:
    """The sentence a chapter glues: who beats whom, or "not distinguishable here".

    Args:
        comparison: from :func:`paired_comparison`.
        names: display names of the two conditions (default: their values).
        decimals: decimals of the points.
        unit: what a pair is (``"seed"`` when every run shares one split).

    Returns:
        e.g. ``"TL + MMD beats TL by 3.2 points of UAR (95 % paired interval [0.8, 5.6]
        over 15 fold × seed pairs; 12 of 15 pairs favour it)"``.
    """
    c = comparison
    names = names or {}
    na, nb = names.get(c.a, c.a), names.get(c.b, c.b)
    metric = c.metric.upper().replace("_", " ")
    pairs = f"{c.n_pairs} {unit} pair{'s' if c.n_pairs != 1 else ''}"

    def span(low: float, high: float) -> str:
        return (f"95 % paired interval [{100 * low:+.{decimals}f}, {100 * high:+.{decimals}f}] "
                f"over {pairs}")

    # few pairs: the bootstrap interval can exclude zero while a sign test cannot reject
    caution = (f"; a sign test over these pairs is not significant, p = {c.p_sign:.2f}"
               if c.p_sign >= 0.05 else "")
    if c.verdict == "a":
        return (f"{na} beats {nb} by {100 * c.mean_diff:.{decimals}f} points of {metric} "
                f"({span(c.low, c.high)}; {c.wins} of {c.n_pairs} pairs favour it{caution})")
    if c.verdict == "b":  # the interval of b minus a
        return (f"{nb} beats {na} by {-100 * c.mean_diff:.{decimals}f} points of {metric} "
                f"({span(-c.high, -c.low)}; {c.losses} of {c.n_pairs} pairs favour it"
                f"{caution})")
    return (f"{na} and {nb} are not distinguishable here: {na} minus {nb} is "
            f"{100 * c.mean_diff:+.{decimals}f} points of {metric} ({span(c.low, c.high)}, which "
            "includes zero)")
