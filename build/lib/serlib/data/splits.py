"""Speaker-independent splits: train/dev/test by speaker and leave-one-speaker-out folds.

A model that has heard a speaker in training recognises that speaker's voice, not only the
emotion, so every split here puts each speaker in exactly one part. :func:`speaker_split`
assigns whole speakers to train/dev/test (default 60/20/20 of the speakers) and, among many
seeded candidate assignments, keeps the one whose parts best match the corpus' emotion and
gender distribution and the requested sizes ("stratified as well as the speakers allow").
Same table and seed, same split.

:func:`leaky_random_split` exists only to *demonstrate* what goes wrong without this: it
splits utterances at random, so the same speakers land in train and test.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from serlib.errors import SplitError

__all__ = [
    "PARTS",
    "check_speaker_independent",
    "fold_split",
    "leaky_random_split",
    "leave_one_speaker_out",
    "speaker_split",
]

logger = logging.getLogger(__name__)

#: the parts of a train/dev/test split, in order
PARTS = ("train", "dev", "test")


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    frac = np.asarray(fractions, dtype=float)
    if frac.shape != (3,) or np.any(frac < 0) or frac[0] <= 0 or abs(frac.sum() - 1) > 1e-6:
        raise SplitError(f"fractions={tuple(fractions)}: need three non-negative numbers "
                         "(train, dev, test) summing to 1 with train > 0")
    return frac


def _part_sizes(n: int, frac: np.ndarray) -> list[int]:
    dev = max(1, round(frac[1] * n)) if frac[1] > 0 else 0
    test = max(1, round(frac[2] * n)) if frac[2] > 0 else 0
    return [n - dev - test, dev, test]


def _too_few(table: pd.DataFrame, speakers: np.ndarray, needed: int) -> SplitError:
    corpora = ", ".join(sorted(table["corpus"].unique())) if "corpus" in table else "?"
    return SplitError(
        f"{corpora}: {len(speakers)} speaker(s) {list(speakers)} cannot make a speaker-"
        f"independent split into {needed} parts. Use leave_one_speaker_out (one fold per "
        "speaker), or pool the corpus with others of its language (Agarla et al. pool "
        "RAVDESS, SAVEE and TESS for English); never fall back to an utterance-level split.")


def speaker_split(table: pd.DataFrame, *, fractions: Sequence[float] = (0.6, 0.2, 0.2),
                  seed: int = 0, n_candidates: int = 512) -> pd.DataFrame:
    """Assign every speaker to train, dev or test.

    Args:
        table: a metadata table (``speaker``, ``emotion``, ``gender`` columns). Several
            corpora may be pooled; speakers are then drawn from the pool.
        fractions: shares of the *speakers* for train, dev, test; every part with a share
            above 0 gets at least one speaker. A dev share of 0 gives a train/test split.
        seed: the split seed.
        n_candidates: seeded candidate assignments to choose the best-stratified one from.

    Returns:
        A copy of ``table`` with a ``split`` column ("train", "dev", "test").

    Raises:
        SplitError: for bad fractions or too few speakers (e.g. TESS alone: 2).

    Chapter: book/02_corpora.md
    """
    frac = _check_fractions(fractions)
    speakers = np.array(sorted(table["speaker"].unique()))
    needed = int(np.count_nonzero(frac))
    sizes = _part_sizes(len(speakers), frac)
    if len(speakers) < needed or sizes[0] < 1:
        raise _too_few(table, speakers, needed)
    emo = pd.crosstab(table["speaker"], table["emotion"]).reindex(speakers).to_numpy(float)
    if "gender" in table:
        gen = pd.crosstab(table["speaker"], table["gender"]).reindex(speakers).to_numpy(float)
    else:
        gen = np.ones((len(speakers), 1))
    total_emo, total_gen = emo.sum(0) / emo.sum(), gen.sum(0) / gen.sum()
    rng = np.random.default_rng(seed)
    bounds = np.cumsum([0, *sizes])
    best, best_score = None, np.inf
    for _ in range(n_candidates):
        order = rng.permutation(len(speakers))
        score = 0.0
        for part in range(3):
            idx = order[bounds[part]:bounds[part + 1]]
            if len(idx) == 0:
                continue
            e, g = emo[idx].sum(0), gen[idx].sum(0)
            score += np.abs(e / e.sum() - total_emo).sum() + 0.5 * np.abs(g / g.sum()
                                                                          - total_gen).sum()
            score += 2.0 * np.count_nonzero((e == 0) & (total_emo > 0))
            score += np.abs(e.sum() / emo.sum() - frac[part])
        if score < best_score - 1e-12:
            best, best_score = order, score
    assert best is not None
    part_of = {speakers[i]: PARTS[p] for p in range(3) for i in best[bounds[p]:bounds[p + 1]]}
    out = table.copy()
    out["split"] = out["speaker"].map(part_of)
    check_speaker_independent(out)
    return out


def check_speaker_independent(table: pd.DataFrame, column: str = "split") -> None:
    """Raise :class:`SplitError` if any speaker appears in more than one part."""
    parts = table.groupby("speaker")[column].nunique()
    shared = sorted(parts[parts > 1].index)
    if shared:
        raise SplitError(f"{len(shared)} speaker(s) appear in more than one part of "
                         f"{column!r}: {shared[:10]}; this split leaks speakers")


def leave_one_speaker_out(table: pd.DataFrame) -> pd.DataFrame:
    """Leave-one-speaker-out folds: fold k tests on the k-th speaker (sorted order).

    Returns:
        A copy of ``table`` with an int ``fold`` column: the fold in which the row is tested.
        Use :func:`fold_split` to get the train/test table of one fold.

    Raises:
        SplitError: with fewer than 2 speakers.
    """
    speakers = sorted(table["speaker"].unique())
    if len(speakers) < 2:
        raise _too_few(table, np.array(speakers), 2)
    out = table.copy()
    out["fold"] = out["speaker"].map({s: k for k, s in enumerate(speakers)}).astype("int64")
    return out


def fold_split(folds: pd.DataFrame, fold: int) -> pd.DataFrame:
    """The train/test table of one fold of :func:`leave_one_speaker_out`."""
    if "fold" not in folds or fold not in set(folds["fold"]):
        raise SplitError(f"fold {fold} does not exist; folds are "
                         f"{sorted(set(folds.get('fold', [])))}")
    out = folds.copy()
    out["split"] = np.where(out["fold"] == fold, "test", "train")
    return out


def leaky_random_split(table: pd.DataFrame, *, fractions: Sequence[float] = (0.6, 0.2, 0.2),
                       seed: int = 0) -> pd.DataFrame:
    """An utterance-level random split that LEAKS speakers, for demonstration only.

    Train and test share speakers, so scores measured on this split overestimate how a model
    does on new speakers. It exists so that a chapter can show the size of that effect;
    never report results on it. A warning says so every time it is called.

    Returns:
        A copy of ``table`` with a ``split`` column; ``attrs["leaky"]`` is True.
    """
    frac = _check_fractions(fractions)
    warnings.warn("leaky_random_split puts the same speakers in train and test: use it only "
                  "to demonstrate speaker leakage, never to report results", UserWarning,
                  stacklevel=2)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(table))
    bounds = np.round(np.cumsum(frac) * len(table)).astype(int)
    labels = np.empty(len(table), dtype=object)
    labels[order[:bounds[0]]] = "train"
    labels[order[bounds[0]:bounds[1]]] = "dev"
    labels[order[bounds[1]:]] = "test"
    out = table.copy()
    out["split"] = labels
    out.attrs["leaky"] = True
    return out
