"""Stress cases for speaker statistics: corpora whose speakers break their assumptions.

Per-speaker normalisation and speaker-centroid refinement (chapter 9) assume that each test
speaker brings several utterances spread over the emotions. Real deployments break that:
semi-natural recordings where each person expresses one emotion, a speaker who never shows
one class, a speaker who is angry 80 % of the time, two clips per person.
:func:`stress_subsample` makes these cases from any corpus table (real or synthetic) by
subsampling each speaker's utterances; :func:`speaker_clusters` draws a tiny embedding
corpus (Gaussian clusters, a per-speaker offset) with per-speaker emotion weights and counts,
for unit tests that must run in milliseconds.

Cases (:data:`STRESS_CASES`):

- ``balanced``: every utterance (the corpus as it is);
- ``n2``, ``n5``, ``n10``: that many utterances per speaker, spread over the classes;
- ``single_emotion``: each speaker keeps one emotion only (a different one per speaker,
  in turn);
- ``missing_class``: each speaker loses one emotion (a different one per speaker);
- ``skew80``: each speaker keeps one dominant emotion at 80 % of their utterances.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["STRESS_CASES", "speaker_clusters", "stress_subsample"]

#: name -> what the case does to each speaker
STRESS_CASES: dict[str, str] = {
    "balanced": "every utterance",
    "n10": "10 utterances per speaker, spread over the classes",
    "n5": "5 utterances per speaker, spread over the classes",
    "n2": "2 utterances per speaker, of different classes",
    "missing_class": "one class removed per speaker",
    "skew80": "one class is 80 % of each speaker's utterances",
    "single_emotion": "one class only per speaker",
}


def _spread(rows: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows taken round-robin over the classes (shuffled), so classes differ."""
    groups = [g.sample(frac=1.0, random_state=int(rng.integers(2**31)))
              for _, g in rows.groupby("emotion")]
    rng.shuffle(groups)  # type: ignore[arg-type]
    picked: list[pd.DataFrame] = []
    depth = 0
    while sum(map(len, picked)) < n and any(depth < len(g) for g in groups):
        for g in groups:
            if depth < len(g) and sum(map(len, picked)) < n:
                picked.append(g.iloc[[depth]])
        depth += 1
    return pd.concat(picked)


def stress_subsample(table: pd.DataFrame, case: str, *, seed: int = 0,
                     skew: float = 0.8) -> pd.DataFrame:
    """Subsample each speaker's utterances to make one stress case.

    Args:
        table: utterances with ``speaker`` and ``emotion`` columns.
        case: a :data:`STRESS_CASES` name.
        seed: the subsampling seed.
        skew: the dominant class's share in ``skew80``.

    Returns:
        The kept rows (original index), speakers in their original order.

    Raises:
        ValueError: an unknown case, or a table without ``speaker``/``emotion``.
    """
    if case not in STRESS_CASES:
        raise ValueError(f"case={case!r}: use one of {list(STRESS_CASES)}")
    if not {"speaker", "emotion"} <= set(table.columns):
        raise ValueError("the table needs speaker and emotion columns")
    if case == "balanced":
        return table.copy()
    rng = np.random.default_rng(seed)
    classes = sorted(table["emotion"].unique())
    parts = []
    for k, (_, rows) in enumerate(table.groupby("speaker", sort=False)):
        turn = classes[(k + seed) % len(classes)]  # this speaker's special class
        if case.startswith("n") and case[1:].isdigit():
            parts.append(_spread(rows, int(case[1:]), rng))
        elif case == "single_emotion":
            parts.append(rows[rows["emotion"] == turn])
        elif case == "missing_class":
            parts.append(rows[rows["emotion"] != turn])
        elif case == "skew80":
            major = rows[rows["emotion"] == turn]
            minor = rows[rows["emotion"] != turn]
            n_minor = min(len(minor), round(len(major) * (1 - skew) / skew))
            parts.append(pd.concat([major, minor.sample(n_minor, random_state=int(
                rng.integers(2**31)))]))
    return pd.concat(parts).sort_index()


def speaker_clusters(weights: Sequence[Sequence[float]], counts: Sequence[int], *,
                     dim: int = 16, separation: float = 3.0, speaker_shift: float = 3.0,
                     noise: float = 1.0, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A toy embedding corpus: class clusters, each speaker shifted by their own offset.

    Args:
        weights: per speaker, the share of each class among their utterances.
        counts: per speaker, the number of utterances.
        dim: embedding size.
        separation: distance scale between class means.
        speaker_shift: scale of each speaker's offset (voice, channel).
        noise: within-class standard deviation.
        seed: the random seed.

    Returns:
        ``(feats, labels, speakers)``: ``(n, dim)`` float32, ``(n,)`` int, n speaker ids.
    """
    if len(weights) != len(counts):
        raise ValueError(f"{len(weights)} weight rows for {len(counts)} speakers")
    rng = np.random.default_rng(seed)
    n_classes = len(weights[0])
    means = rng.normal(0, separation / np.sqrt(2), (n_classes, dim))
    feats, labels, speakers = [], [], []
    for s, (w, n) in enumerate(zip(weights, counts, strict=True)):
        p = np.asarray(w, float) / np.sum(w)
        y = rng.choice(n_classes, size=int(n), p=p)
        offset = rng.normal(0, speaker_shift / np.sqrt(dim), dim) * np.sqrt(dim)
        feats.append(means[y] + offset + rng.normal(0, noise, (int(n), dim)))
        labels.append(y)
        speakers += [f"s{s:02d}"] * int(n)
    return (np.concatenate(feats).astype(np.float32), np.concatenate(labels), speakers)
