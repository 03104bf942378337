"""The two papers' published numbers, to print beside ours (never to be compared blindly).

Each row says where it comes from (paper, table), what was measured (the metric: Agarla et
al. report accuracy, i.e. WA; Baklouti et al. report UAR and accuracy) and on what protocol;
:func:`published_table` returns them as a DataFrame. The protocols differ from ours — the
papers' sources (three English corpora pooled; RAVDESS or IEMOCAP), their class sets
(5 emotions; 7), their splits (speaker-independent 60/20/20; random 80/20 of utterances) —
and a chapter that shows them says so next to the table.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PUBLISHED", "published_table"]

_AGARLA = ("agarla2024", "RAVDESS + SAVEE + TESS (English)", "agarla5",
           "speaker-independent 60/20/20", "accuracy (WA)")
_BAKLOUTI = ("baklouti2024", "RAVDESS (English)", "baklouti7", "random 80/20 of utterances",
             "UAR and accuracy")

#: (paper, table, target, method, n_labels, metric, value in %)
_ROWS = [
    ("agarla2024", "Table 3", "emodb", "zero_shot", "0", "wa", 60.56),
    ("agarla2024", "Table 3", "emovo", "zero_shot", "0", "wa", 49.28),
    ("agarla2024", "Table 4", "emodb", "multilingual", "all", "wa", 73.24),
    ("agarla2024", "Table 4", "emovo", "multilingual", "all", "wa", 59.28),
    ("agarla2024", "Table 4", "emodb", "multilingual", "all", "source_wa", 75.04),
    ("agarla2024", "Table 4", "emovo", "multilingual", "all", "source_wa", 73.78),
    ("agarla2024", "Table 5 (τ = 0.5)", "emodb", "hard_pl", "100", "wa", 75.59),
    ("agarla2024", "Table 5 (τ = 0.65)", "emodb", "hard_pl", "100", "wa", 69.48),
    ("agarla2024", "Table 5 (τ = 0.85)", "emodb", "hard_pl", "100", "wa", 69.01),
    ("agarla2024", "Table 5 (τ = 0.5)", "emovo", "hard_pl", "100", "wa", 48.10),
    ("agarla2024", "Table 5 (τ = 0.65)", "emovo", "hard_pl", "100", "wa", 41.67),
    ("agarla2024", "Table 5 (τ = 0.85)", "emovo", "hard_pl", "100", "wa", 46.90),
    ("baklouti2024", "Table 6", "emodb", "transfer", "all", "uar", 50.65),
    ("baklouti2024", "Table 6", "emodb", "transfer", "all", "wa", 50.47),
    ("baklouti2024", "Table 6", "emodb", "mmd", "all", "uar", 58.01),
    ("baklouti2024", "Table 6", "emodb", "mmd", "all", "wa", 53.47),
]

#: the rows as dicts (see the module docstring)
PUBLISHED: list[dict[str, object]] = [
    {"paper": p, "table": t, "target": tgt, "method": m, "n_labels": n, "metric": metric,
     "value": v, **dict(zip(("source", "label_set", "split", "reported"),
                            (_AGARLA if p == "agarla2024" else _BAKLOUTI)[1:], strict=True))}
    for p, t, tgt, m, n, metric, v in _ROWS]


def published_table(target: str | None = None, paper: str | None = None) -> pd.DataFrame:
    """The published numbers (in %), optionally for one target corpus or one paper."""
    import pandas as pd

    table = pd.DataFrame(PUBLISHED)
    if target is not None:
        table = table[table["target"] == target]
    if paper is not None:
        table = table[table["paper"] == paper]
    return table.reset_index(drop=True)
