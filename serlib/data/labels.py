"""One emotion vocabulary for every corpus, and the named label sets experiments use.

Each corpus module maps its raw labels onto :data:`VOCABULARY`. An experiment then picks a
label set: utterances whose emotion is outside the set are **dropped**, never merged into a
neighbour, unless the caller names a merge from :data:`MERGES` explicitly (e.g. IEMOCAP's
excitement counted as happiness, as much of the literature does).

Label sets:

- ``agarla5``: anger, fear, happiness, neutral, sadness, the five emotions shared by the
  seven corpora of Agarla et al. (2024).
- ``shared4``: anger, happiness, neutral, sadness, the classic 4-class IEMOCAP-style task,
  available in all twelve corpora.
- ``shared6``: shared4 + disgust and fear.
- ``baklouti7``: anger, boredom, disgust, fear, happiness, neutral, sadness, i.e. EmoDB's
  seven classes, which Baklouti et al. (2024) use as the target label space of their
  RAVDESS->EmoDB task. Their RAVDESS list (neutral, calm, happy, sad, angry, fear, disgust)
  is **not** the same seven: RAVDESS has calm but no boredom. So on RAVDESS this set keeps
  six classes (calm is dropped) unless the caller passes ``merges=("calm_as_boredom",)``,
  the explicit, documented reading of the paper's class-index pairing (2: Bored <-> 2: Calm).
  The honest shared set of the two corpora is ``shared6``.

A merge applies to every corpus of a table, or, with a mapping ``{corpus id: [merge
names]}``, to the rows of the corpora it names only (``{"ravdess": ["calm_as_neutral"]}``
leaves another corpus's calm dropped). :func:`target_classes` lists the classes a mapped
table really has.

A class of the set with no utterance left in a corpus (e.g. boredom on RAVDESS without the
merge) is not an error, but it changes the number of classes the corpus really has, and so
its chance level: :func:`apply_label_set` says so with a
:class:`~serlib.errors.DataWarning` naming the class and the corpus.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from serlib.errors import DataWarning, LabelSetError

__all__ = [
    "LABEL_SETS",
    "MERGES",
    "VOCABULARY",
    "apply_label_set",
    "encode_labels",
    "label_set_classes",
    "mapping_counts",
    "merges_for",
    "target_classes",
]

#: ``merges`` of :func:`apply_label_set`: names for every corpus, or corpus id → names
Merges = Iterable[str] | Mapping[str, Iterable[str]]

#: every harmonised emotion name; corpus modules map their raw labels onto these
VOCABULARY = (
    "anger",
    "boredom",
    "calm",
    "disgust",
    "excitement",
    "fear",
    "frustration",
    "happiness",
    "neutral",
    "other",       # IEMOCAP "oth"
    "sadness",
    "surprise",
    "undecided",   # IEMOCAP "xxx": annotators reached no majority
)

#: named label sets (class order = the index order used by models)
LABEL_SETS: dict[str, tuple[str, ...]] = {
    "agarla5": ("anger", "fear", "happiness", "neutral", "sadness"),
    "shared4": ("anger", "happiness", "neutral", "sadness"),
    "shared6": ("anger", "disgust", "fear", "happiness", "neutral", "sadness"),
    "baklouti7": ("anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"),
}

#: explicit merges used in the literature; none is ever applied unless named
MERGES: dict[str, dict[str, str]] = {
    "excitement_as_happiness": {"excitement": "happiness"},  # IEMOCAP 4-class convention
    "calm_as_neutral": {"calm": "neutral"},                  # RAVDESS, TurEV-DB
    "calm_as_boredom": {"calm": "boredom"},                  # Baklouti's RAVDESS<->EmoDB pairing
}


def label_set_classes(label_set: str | Sequence[str]) -> tuple[str, ...]:
    """The classes of a named label set, or of an explicit list of vocabulary names.

    Raises:
        LabelSetError: for an unknown set name or an emotion outside :data:`VOCABULARY`.
    """
    if isinstance(label_set, str):
        if label_set not in LABEL_SETS:
            raise LabelSetError(f"unknown label set {label_set!r}; choose from "
                                f"{sorted(LABEL_SETS)} or pass a list of emotions")
        return LABEL_SETS[label_set]
    classes = tuple(label_set)
    unknown = [c for c in classes if c not in VOCABULARY]
    if unknown or not classes or len(set(classes)) != len(classes):
        raise LabelSetError(f"invalid label set {classes}: needs distinct names from "
                            f"{VOCABULARY}; unknown: {unknown}")
    return classes


def _merge_map(merges: Iterable[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for name in merges:
        if name not in MERGES:
            raise LabelSetError(f"unknown merge {name!r}; choose from {sorted(MERGES)}")
        for src, dst in MERGES[name].items():
            if mapping.get(src, dst) != dst:
                raise LabelSetError(f"merges {list(merges)} send {src!r} to two classes")
            mapping[src] = dst
    return mapping


def merges_for(merges: Merges, corpus: str) -> tuple[str, ...]:
    """The merges that apply to ``corpus``: all of a list, or the mapping's entry for it."""
    if isinstance(merges, Mapping):
        return tuple(merges.get(corpus, ()))
    return tuple(merges)


def _mapped(table: pd.DataFrame, merges: Merges) -> pd.Series:
    """``emotion`` after the merges (per corpus when ``merges`` is a mapping)."""
    if not isinstance(merges, Mapping):
        mapping = _merge_map(merges)
        return table["emotion"].map(lambda e: mapping.get(e, e))
    for names in merges.values():
        _merge_map(names)  # unknown names are an error even for an absent corpus
    corpora = table["corpus"].astype(str) if "corpus" in table else \
        pd.Series("", index=table.index)
    maps = {c: _merge_map(merges_for(merges, c)) for c in set(corpora)}
    values = [maps[c].get(e, e) for c, e in zip(corpora, table["emotion"], strict=True)]
    return pd.Series(values, index=table.index, dtype=object)


def target_classes(table: pd.DataFrame, label_set: str | Sequence[str]) -> tuple[str, ...]:
    """The classes of ``label_set`` that ``table`` (after :func:`apply_label_set`) has, in
    the set's order: the classes a target really has (its chance level is 1/len of it)."""
    present = set(table["emotion"])
    return tuple(c for c in label_set_classes(label_set) if c in present)


def mapping_counts(table: pd.DataFrame, label_set: str | Sequence[str], *,
                   merges: Merges = ()) -> pd.DataFrame:
    """Per-emotion counts before and after mapping onto a label set.

    Returns:
        One row per emotion present before or after: ``before``, ``after`` (0 if dropped or
        merged away) and ``fate`` ("kept", "merged into X" or "dropped").
    """
    classes = label_set_classes(label_set)
    if isinstance(merges, Mapping):  # per corpus: the union (one table row per emotion)
        mapping: dict[str, str] = {}
        for names in merges.values():
            mapping.update(_merge_map(names))
    else:
        mapping = _merge_map(merges)
    before = table["emotion"].value_counts()
    mapped = _mapped(table, merges)
    after = mapped[mapped.isin(classes)].value_counts()
    rows = []
    for emotion in sorted(set(before.index) | set(after.index)):
        if emotion in mapping and mapping[emotion] in classes:
            fate = f"merged into {mapping[emotion]}"
        elif emotion in classes:
            fate = "kept"
        else:
            fate = "dropped"
        rows.append({"emotion": emotion, "before": int(before.get(emotion, 0)),
                     "after": int(after.get(emotion, 0)) if fate == "kept" else 0,
                     "fate": fate})
    return pd.DataFrame(rows).set_index("emotion")


def apply_label_set(table: pd.DataFrame, label_set: str | Sequence[str], *,
                    merges: Merges = (), verbose: bool = False) -> pd.DataFrame:
    """Keep the utterances of ``label_set`` (after the named ``merges``); drop the rest.

    Args:
        table: a metadata table (``emotion`` column harmonised).
        label_set: a name from :data:`LABEL_SETS` or a list of vocabulary names.
        merges: names from :data:`MERGES`, applied before filtering, to every corpus; or a
            mapping corpus id → names, applied to that corpus only (its ``corpus``
            column), e.g. ``{"ravdess": ["calm_as_neutral"]}``. ``emotion_raw`` keeps the
            corpus label, so a merge is always visible in the table.
        verbose: print the per-class counts before and after (see :func:`mapping_counts`).

    Returns:
        A new table with a fresh index; ``emotion`` is a member of the set for every row.

    Warns:
        DataWarning: for every corpus (``corpus`` column) in which a class of the set has
            no utterance after mapping: the task then has fewer real classes than the set.
    """
    merges = merges if isinstance(merges, Mapping) else tuple(merges)
    classes = label_set_classes(label_set)
    if verbose:
        print(mapping_counts(table, classes, merges=merges).to_string())
    out = table.copy()
    out["emotion"] = _mapped(table, merges)
    out = out[out["emotion"].isin(classes)].reset_index(drop=True)
    _warn_empty_classes(table, out, classes, merges)
    return out


def _warn_empty_classes(before: pd.DataFrame, after: pd.DataFrame, classes: tuple[str, ...],
                        merges: Merges) -> None:
    """Say out loud which class has no utterance in which corpus (it changes chance level)."""
    by_corpus = "corpus" in before and "corpus" in after
    groups = sorted({str(c) for c in before["corpus"]}) if by_corpus else ["the table"]
    for corpus in groups:
        rows = after[after["corpus"].astype(str) == corpus] if by_corpus else after
        present = set(rows["emotion"])
        empty = [c for c in classes if c not in present]
        if not empty:
            continue
        where = f"corpus {corpus!r}" if by_corpus else "the table"
        used = list(merges_for(merges, corpus))
        message = (f"label set {list(classes)}: class(es) {empty} have no utterance in "
                   f"{where} after mapping (merges {used}), so it has "
                   f"{len(classes) - len(empty)} classes, not {len(classes)}: chance level "
                   "and per-class metrics change; pick a label set the corpus covers, name "
                   "a merge (for this corpus only: merges: {CORPUS: [NAME]}) or set "
                   "restrict_to_target_classes: true in an experiment")
        warnings.warn(message, DataWarning, stacklevel=3)


def encode_labels(values: Iterable[Hashable], label_set: str | Sequence[Hashable]) -> np.ndarray:
    """Positions (int64) of ``values`` in a class order.

    Args:
        values: emotion names or class ids (a list, array, Series or tensor).
        label_set: a named label set (e.g. ``"agarla5"``) or the class order itself, which
            may hold emotion names or class ids.

    Raises:
        LabelSetError: for an empty or duplicated class order, or a value outside it (for a
            metadata table: apply the label set first).

    Example:
        >>> encode_labels(["sadness", "anger"], ["anger", "sadness"]).tolist()
        [1, 0]
    """
    if isinstance(label_set, str):
        classes: list[Hashable] = list(label_set_classes(label_set))
    else:
        classes = label_set.tolist() if hasattr(label_set, "tolist") else list(label_set)
    if not classes or len(set(classes)) != len(classes):
        raise LabelSetError(f"class order {classes} must be non-empty and without duplicates")
    index = {c: i for i, c in enumerate(classes)}
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    unknown = sorted({repr(v) for v in values if v not in index})
    if unknown:
        raise LabelSetError(f"value(s) {', '.join(unknown[:5])} are not in {classes}; pass the "
                            "full class order, or call apply_label_set on the table first")
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
