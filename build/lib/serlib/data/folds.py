"""The speaker-fold protocol: every target speaker is tested exactly once.

A 60/20/20 speaker split of EmoDB tests on 2 of its 10 speakers (about 90 utterances), so
one run's UAR has an interval of about ±8 points and depends on which two speakers were
drawn. The fold protocol uses every speaker instead:

1. :func:`speaker_folds` deals the speakers into ``n_folds`` groups (seeded; genders take
   turns so that each group mixes them as far as the speakers allow);
2. fold ``k`` tests on group ``k``, selects models on group ``k + 1`` (cyclically) and
   trains (labelled subset and unlabelled pool) on the other groups
   (:func:`fold_protocol_split`), so every speaker is in test once and in dev once;
3. results are pooled over the test predictions of all folds (one prediction per target
   utterance) and also given as mean ± std over folds × seeds.

The default number of folds gives test groups of about 20 % of the speakers, the test share
of the paper-style split: EmoDB (10 speakers) 5 folds of 2, EMOVO (6) 6 folds of 1,
RAVDESS (24) 5 folds of 4-5. Same table and seed, same folds.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serlib.data.splits import check_speaker_independent
from serlib.errors import SplitError

__all__ = ["MIN_FOLDS", "default_n_folds", "fold_protocol_split", "speaker_folds"]

#: test, dev and train need one group each
MIN_FOLDS = 3


def default_n_folds(n_speakers: int) -> int:
    """Folds whose test groups hold about 20 % of ``n_speakers`` (at least 3 folds).

    Example:
        >>> [default_n_folds(n) for n in (3, 6, 10, 24)]
        [3, 6, 5, 5]
    """
    group = max(1, round(0.2 * n_speakers))
    return max(MIN_FOLDS, min(n_speakers, round(n_speakers / group)))


def _corpora(table: pd.DataFrame) -> str:
    return ", ".join(sorted(map(str, table["corpus"].unique()))) if "corpus" in table else "?"


def speaker_folds(table: pd.DataFrame, *, n_folds: int | None = None,
                  seed: int = 0) -> pd.DataFrame:
    """Deal the speakers of ``table`` into ``n_folds`` test groups.

    Speakers are grouped by gender (sorted), shuffled within each gender with ``seed``, and
    dealt to the folds in turn, one after the other, so that fold sizes differ by at most
    one speaker and each fold mixes genders as far as the counts allow.

    Args:
        table: a metadata table with a ``speaker`` column (``gender`` optional).
        n_folds: number of folds, 3 to the number of speakers; None:
            :func:`default_n_folds`.
        seed: the fold seed.

    Returns:
        A copy of ``table`` with an int ``fold`` column: the fold in which the row is
        tested. :func:`fold_protocol_split` gives the train/dev/test table of one fold.

    Raises:
        SplitError: fewer than 3 speakers, or ``n_folds`` outside [3, number of speakers].

    Chapter: book/05_measuring.md
    """
    speakers = sorted(table["speaker"].unique())
    if len(speakers) < MIN_FOLDS:
        raise SplitError(
            f"{_corpora(table)}: {len(speakers)} speaker(s) {speakers} cannot make the "
            f"speaker-fold protocol (test, dev and train need {MIN_FOLDS} speakers at least); "
            "pool the corpus with others of its language, or use leave_one_speaker_out "
            "without a dev part")
    n_folds = default_n_folds(len(speakers)) if n_folds is None else int(n_folds)
    if not MIN_FOLDS <= n_folds <= len(speakers):
        raise SplitError(f"n_folds={n_folds}: {_corpora(table)} has {len(speakers)} speakers; "
                         f"use {MIN_FOLDS} to {len(speakers)} folds (or None for the default, "
                         f"{default_n_folds(len(speakers))})")
    if "gender" in table:
        gender_of = table.groupby("speaker")["gender"].first().astype(str).to_dict()
    else:
        gender_of = dict.fromkeys(speakers, "unknown")
    rng = np.random.default_rng(seed)
    order: list[str] = []
    for gender in sorted(set(gender_of.values())):
        group = [s for s in speakers if gender_of[s] == gender]
        order += [group[i] for i in rng.permutation(len(group))]
    start = int(rng.integers(n_folds))  # which fold the first speaker goes to
    fold_of = {s: (start + i) % n_folds for i, s in enumerate(order)}
    out = table.copy()
    out["fold"] = out["speaker"].map(fold_of).astype("int64")
    return out


def fold_protocol_split(folds: pd.DataFrame, fold: int) -> pd.DataFrame:
    """The train/dev/test table of one fold of :func:`speaker_folds`.

    Fold ``k`` tests on its own speakers, uses the speakers of fold ``(k + 1) % n_folds``
    as dev and all others as train, so across the folds every speaker is tested exactly
    once and is dev exactly once.

    Args:
        folds: the output of :func:`speaker_folds` (a ``fold`` column).
        fold: the fold, 0 to ``n_folds - 1``.

    Returns:
        A copy of ``folds`` with a ``split`` column ("train", "dev", "test").

    Raises:
        SplitError: no ``fold`` column, fewer than 3 folds, or an unknown ``fold``.

    Chapter: book/05_measuring.md
    """
    if "fold" not in folds:
        raise SplitError("the table has no 'fold' column; call speaker_folds first")
    present = sorted(int(f) for f in folds["fold"].unique())
    n_folds = len(present)
    if present != list(range(n_folds)) or n_folds < MIN_FOLDS:
        raise SplitError(f"folds {present}: need the folds 0..n-1 with n >= {MIN_FOLDS}; "
                         "call speaker_folds on the whole table")
    if fold not in present:
        raise SplitError(f"fold {fold} does not exist; folds are 0 to {n_folds - 1}")
    dev = (fold + 1) % n_folds
    out = folds.copy()
    out["split"] = np.where(out["fold"] == fold, "test",
                            np.where(out["fold"] == dev, "dev", "train"))
    check_speaker_independent(out)
    return out
