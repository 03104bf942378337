"""Percentile-bootstrap confidence intervals for WA, UAR and macro-F1.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from serlib.evaluate.metrics import METRICS, compute_metrics, encode_pair, metrics_from_confusion

__all__ = ["bootstrap_ci", "bootstrap_distribution", "check_interval_args", "metrics_with_ci",
           "percentile_interval"]

_CHUNK = 256  # resamples per vectorised block (bounds memory at 256·n indices)


def bootstrap_distribution(y_true: Iterable[Hashable], y_pred: Iterable[Hashable], *,
                           labels: Sequence[Hashable], n_boot: int = 1000,
                           seed: int = 0) -> dict[str, np.ndarray]:
    """Each metric on ``n_boot`` resamples of the utterances (drawn with replacement).

    Each resample draws ``n`` utterances with replacement from the ``n`` test utterances
    (keeping each true/predicted pair together) and computes the metrics on it. Resamples are
    drawn from ``numpy.random.default_rng(seed)``: the same seed gives the same values.

    Returns:
        ``{"wa", "uar", "macro_f1"}``, each an array of shape (n_boot,).

    Chapter: book/05_measuring.md
    """
    if n_boot < 1:
        raise ValueError(f"n_boot={n_boot} must be at least 1")
    t, p = encode_pair(y_true, y_pred, labels)
    n, c = t.size, len(labels)
    codes = t * c + p  # (n,) cell of the confusion matrix of each utterance
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    for start in range(0, n_boot, _CHUNK):
        size = min(_CHUNK, n_boot - start)
        idx = rng.integers(0, n, size=(size, n))  # (size, n) resampled utterances
        cells = codes[idx] + (np.arange(size) * c * c)[:, None]  # (size, n), one block each
        cm = np.bincount(cells.ravel(), minlength=size * c * c).reshape(size, c, c)
        for name, values in metrics_from_confusion(cm).items():
            parts[name].append(values)
    return {m: np.concatenate(v) for m, v in parts.items()}


def check_interval_args(metric: str, confidence: float) -> None:
    """Refuse an unknown metric or a confidence outside (0, 1) (``ValueError``)."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not one of {METRICS}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence} must lie strictly between 0 and 1")


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` share of bootstrap ``values``: ``(low, high)``."""
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_ci(
    y_true: Iterable[Hashable],
    y_pred: Iterable[Hashable],
    *,
    labels: Sequence[Hashable],
    metric: str = "uar",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of a metric (Efron & Tibshirani, 1993).

    The interval holds the central ``confidence`` share of the metric over ``n_boot``
    resamples of the test utterances (see :func:`bootstrap_distribution`). It measures the
    uncertainty due to the finite test set only, not the variation between training seeds
    (use :func:`~serlib.evaluate.seeds.summarize_seeds` for that), and utterances of one
    speaker are treated as independent, which makes the interval optimistic.

    Args:
        y_true: true emotions (names or class ids).
        y_pred: predicted emotions.
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
    dist = bootstrap_distribution(y_true, y_pred, labels=labels, n_boot=n_boot, seed=seed)
    return percentile_interval(dist[metric], confidence)


def metrics_with_ci(y_true: Iterable[Hashable], y_pred: Iterable[Hashable], *,
                    labels: Sequence[Hashable], n_boot: int = 1000, confidence: float = 0.95,
                    seed: int = 0) -> dict[str, float]:
    """:func:`~serlib.evaluate.metrics.compute_metrics` plus ``<metric>_low`` and ``<metric>_high``.

    One set of resamples serves all three metrics, so ``uar_low``/``uar_high`` equal
    ``bootstrap_ci(..., metric="uar")`` with the same seed.

    Chapter: book/05_measuring.md
    """
    check_interval_args("uar", confidence)
    y_true, y_pred = list(y_true), list(y_pred)
    out = compute_metrics(y_true, y_pred, labels=labels)
    dist = bootstrap_distribution(y_true, y_pred, labels=labels, n_boot=n_boot, seed=seed)
    for m in METRICS:
        out[f"{m}_low"], out[f"{m}_high"] = percentile_interval(dist[m], confidence)
    return out
