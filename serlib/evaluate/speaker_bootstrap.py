"""Speaker-level (cluster) bootstrap: resample speakers, not utterances.

The percentile bootstrap of :mod:`serlib.evaluate.bootstrap` treats test utterances as
independent. They are not: the utterances of one speaker succeed or fail together, and a
new *speaker* changes a score more than a new utterance of a known one. Resampling whole
speakers (with replacement, each drawn speaker bringing all of their utterances) gives the
wider interval that answers "how would this model do on other speakers of this corpus?".
With few speakers (EmoDB has ten) it is itself rough: it can only recombine the voices it
has.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from serlib.evaluate.bootstrap import check_interval_args, percentile_interval
from serlib.evaluate.metrics import METRICS, encode_pair, metrics_from_confusion

__all__ = ["speaker_bootstrap_ci", "speaker_bootstrap_distribution"]

_CHUNK = 256  # resamples per vectorised block


def speaker_bootstrap_distribution(y_true: Iterable[Hashable], y_pred: Iterable[Hashable],
                                   speakers: Iterable[Hashable], *,
                                   labels: Sequence[Hashable], n_boot: int = 1000,
                                   seed: int = 0) -> dict[str, np.ndarray]:
    """Each metric on ``n_boot`` resamples of the speakers (drawn with replacement).

    A resample draws as many speakers as there are, with replacement, from
    ``numpy.random.default_rng(seed)`` and pools every utterance of every drawn speaker (a
    speaker drawn twice counts twice). The metrics are those of
    :func:`~serlib.evaluate.metrics.compute_metrics`, computed from the pooled confusion
    matrix (a class absent from a resample is left out of its UAR).

    Args:
        y_true: true emotions (names or class ids).
        y_pred: predicted emotions.
        speakers: the speaker of each utterance.
        labels: the class order.
        n_boot: number of resamples.
        seed: seed of the resampling.

    Returns:
        ``{"wa", "uar", "macro_f1"}``, each an array of shape (n_boot,).

    Raises:
        ValueError: ``n_boot < 1``, empty inputs, or ``speakers`` of another length.

    Shape:
        y_true, y_pred, speakers: (n,); returns arrays of shape (n_boot,).

    Chapter: book/05_measuring.md
    """
    if n_boot < 1:
        raise ValueError(f"n_boot={n_boot} must be at least 1")
    t, p = encode_pair(y_true, y_pred, labels)
    who = np.asarray(list(speakers), dtype=object)
    if who.shape != t.shape:
        raise ValueError(f"speakers has {who.size} entries for {t.size} utterances")
    _, group = np.unique(who.astype(str), return_inverse=True)  # (n,) speaker index
    n_speakers, c = int(group.max()) + 1, len(labels)
    cells = group * c * c + t * c + p  # (n,) one confusion cell per utterance and speaker
    per_speaker = np.bincount(cells, minlength=n_speakers * c * c).reshape(n_speakers, c * c)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    for start in range(0, n_boot, _CHUNK):
        size = min(_CHUNK, n_boot - start)
        drawn = rng.integers(0, n_speakers, size=(size, n_speakers))  # (size, speakers)
        cm = per_speaker[drawn].sum(axis=1).reshape(size, c, c)  # (size, C, C)
        for name, values in metrics_from_confusion(cm).items():
            parts[name].append(values)
    return {m: np.concatenate(v) for m, v in parts.items()}


def speaker_bootstrap_ci(y_true: Iterable[Hashable], y_pred: Iterable[Hashable],
                         speakers: Iterable[Hashable], *, labels: Sequence[Hashable],
                         metric: str = "uar", n_boot: int = 1000, confidence: float = 0.95,
                         seed: int = 0) -> tuple[float, float]:
    """Percentile interval of a metric over speaker resamples (see the module docstring).

    Args:
        y_true: true emotions.
        y_pred: predicted emotions.
        speakers: the speaker of each utterance.
        labels: the class order.
        metric: ``"uar"``, ``"wa"`` or ``"macro_f1"``.
        n_boot: number of resamples.
        confidence: e.g. 0.95 for a 95 % interval.
        seed: seed of the resampling.

    Returns:
        ``(low, high)`` as fractions.

    Chapter: book/05_measuring.md
    """
    check_interval_args(metric, confidence)
    dist = speaker_bootstrap_distribution(y_true, y_pred, speakers, labels=labels,
                                          n_boot=n_boot, seed=seed)
    return percentile_interval(dist[metric], confidence)
