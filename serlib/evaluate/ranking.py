"""Ranking several conditions with paired intervals: "the best λ is ...", "k methods beat it".

A sweep (values of λ, of τ, normalisations, candidate methods) is ranked by its mean score,
but the top of a ranking is only a *verdict* when it is distinguishable from the runner-up,
and "method X beats the baseline" only when its paired interval against the baseline excludes
zero (chapter 5's rule, :mod:`serlib.evaluate.paired`). This module applies that rule to more
than two conditions:

- :func:`paired_ranking` orders the conditions by their mean and compares the best with the
  runner-up over matched pairs (folds × seeds); :func:`ranking_verdict` writes the sentence;
- :func:`versus_reference` compares every condition with one reference, and
  :func:`reference_verdict` says how many beat it, how many fall below it and how many are
  not distinguishable from it.

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from serlib.evaluate.paired import PairedComparison, paired_comparison, paired_verdict

__all__ = ["Ranking", "paired_ranking", "ranking_verdict", "reference_verdict",
           "versus_reference"]


@dataclass(frozen=True)
class Ranking:
    """Conditions ordered by their mean score, and the best one against the runner-up.

    Attributes:
        column: the column that names the conditions.
        metric: the ranked metric (fractions).
        means: mean of ``metric`` per condition (over all its runs), best first.
        best: the condition with the highest mean.
        runner_up: ``best`` minus the second-best over matched pairs (None: one condition).
    """

    column: str
    metric: str
    means: pd.Series
    best: str
    runner_up: PairedComparison | None

    @property
    def distinguishable(self) -> bool:
        """True when the best beats the runner-up (its paired interval excludes zero)."""
        return self.runner_up is not None and self.runner_up.verdict == "a"


def _conditions(results: pd.DataFrame, column: str,
                conditions: Sequence[str] | None) -> pd.DataFrame:
    if column not in results.columns:
        raise KeyError(f"column {column!r} is not in the results (columns: "
                       f"{list(results.columns)})")
    values = results[column].astype(str)
    if conditions is None:
        return results.assign(**{column: values})
    wanted = [str(c) for c in conditions]
    missing = sorted(set(wanted) - set(values))
    if missing:
        raise ValueError(f"no results row has {column} in {missing} (values: "
                         f"{sorted(values.unique())})")
    return results.assign(**{column: values})[values.isin(wanted)]


def paired_ranking(results: pd.DataFrame, column: str, *, metric: str = "uar",
                   conditions: Sequence[str] | None = None, keys: Sequence[str] | None = None,
                   n_boot: int = 2000, seed: int = 0) -> Ranking:
    """Rank the conditions of ``column`` by mean ``metric``; test the best against the second.

    Args:
        results: one row per run (matched across conditions by ``keys``).
        column: the column that names the conditions (e.g. ``trade_off``, ``candidate``).
        metric: the metric column (fractions).
        conditions: the values of ``column`` to rank (default: every value present).
        keys: columns that match a pair (default: ``target``, ``fold``, ``seed``).
        n_boot: bootstrap resamples of the pairs.
        seed: seed of the resampling.

    Returns:
        The ranking (means, best, and the paired comparison of best minus runner-up).

    Raises:
        KeyError: a column is missing.
        ValueError: a named condition has no row.
    """
    rows = _conditions(results, column, conditions)
    if metric not in rows.columns:
        raise KeyError(f"column {metric!r} is not in the results")
    means = rows.groupby(column)[metric].mean().sort_values(ascending=False, kind="stable")
    if means.empty:
        raise ValueError(f"no condition of {column!r} to rank")
    best = str(means.index[0])
    runner_up = None
    if len(means) > 1:
        runner_up = paired_comparison(rows, column, best, str(means.index[1]), metric=metric,
                                      keys=keys, n_boot=n_boot, seed=seed)
    return Ranking(column, metric, means, best, runner_up)


def ranking_verdict(ranking: Ranking, *, names: Mapping[str, str] | None = None,
                    what: str = "conditions", decimals: int = 1,
                    unit: str = "fold × seed") -> str:
    """The sentence a chapter glues about the top of a ranking.

    Args:
        ranking: from :func:`paired_ranking`.
        names: display names of the conditions (default: their values).
        what: what the conditions are, plural (e.g. ``"values of λ"``).
        decimals: decimals of the points.
        unit: what a pair is (``"seed"`` when every run shares one split).

    Returns:
        e.g. ``"λ = 0 has the highest mean UAR of the 3 values of λ (61.2 %), and λ = 0 and
        λ = 1 are not distinguishable here: ..."``.
    """
    names = dict(names or {})
    metric = ranking.metric.upper().replace("_", " ")
    best = names.get(ranking.best, ranking.best)
    head = (f"{best} has the highest mean {metric} of the {len(ranking.means)} {what} "
            f"({100 * float(ranking.means.iloc[0]):.{decimals}f} %)")
    if ranking.runner_up is None:
        return head + " (the only one run)"
    verdict = paired_verdict(ranking.runner_up, names=names, decimals=decimals, unit=unit)
    return f"{head}; against the runner-up, {verdict}"


def versus_reference(results: pd.DataFrame, column: str, reference: str, *,
                     conditions: Sequence[str] | None = None, metric: str = "uar",
                     keys: Sequence[str] | None = None, n_boot: int = 2000,
                     seed: int = 0) -> dict[str, PairedComparison]:
    """Each condition minus ``reference`` over matched pairs.

    Args:
        results: one row per run.
        column: the column that names the conditions.
        reference: the value of ``column`` every other condition is compared with.
        conditions: the conditions to compare (default: every value but ``reference``).
        metric: the metric column (fractions).
        keys: columns that match a pair.
        n_boot: bootstrap resamples of the pairs.
        seed: seed of the resampling.

    Returns:
        ``{condition: condition minus reference}``, in the order of ``conditions``.
    """
    rows = results.assign(**{column: results[column].astype(str)})
    if conditions is None:
        conditions = [c for c in dict.fromkeys(rows[column]) if c != str(reference)]
    return {str(c): paired_comparison(rows, column, str(c), str(reference), metric=metric,
                                      keys=keys, n_boot=n_boot, seed=seed)
            for c in conditions}


def reference_verdict(comparisons: Mapping[str, PairedComparison], reference: str, *,
                      names: Mapping[str, str] | None = None,
                      unit: str = "fold × seed") -> str:
    """How many conditions beat the reference, fall below it, or cannot be told from it.

    Args:
        comparisons: from :func:`versus_reference`.
        reference: display name of the reference.
        names: display names of the conditions.
        unit: what a pair is (``"seed"`` when every run shares one split).

    Returns:
        e.g. ``"2 of the 6 beat the free baseline (its paired interval above zero: DANN,
        MMD), 1 falls below it (soft PL) and 3 are not distinguishable from it"``.
    """
    names = dict(names or {})
    groups: dict[str, list[str]] = {"a": [], "b": [], "tie": []}
    for condition, comparison in comparisons.items():
        groups[comparison.verdict].append(names.get(condition, condition))
    n = len(comparisons)

    def listed(items: list[str]) -> str:
        return f" ({', '.join(items)})" if items else ""

    pairs = sorted({c.n_pairs for c in comparisons.values()})
    span = "/".join(map(str, pairs)) if pairs else "0"
    # a two-sided sign test needs 6 pairs to reach p < 0.05 (2 / 2**6 = 0.031)
    few = ("; with fewer than 6 pairs no sign test can reach p < 0.05"
           if pairs and min(pairs) < 6 and groups["a"] + groups["b"] else "")
    falls = "falls" if len(groups["b"]) == 1 else "fall"
    are = "is" if len(groups["tie"]) == 1 else "are"
    return (f"{len(groups['a'])} of the {n} beat {reference} with a paired interval above "
            f"zero{listed(groups['a'])}, {len(groups['b'])} {falls} below it"
            f"{listed(groups['b'])} and {len(groups['tie'])} {are} not distinguishable from it"
            f"{listed(groups['tie'])} ({span} {unit} pairs each{few})")
