"""Log-mel statistics: a fixed utterance embedding that needs no network (the smoke profile).

Per mel band: the mean and the standard deviation of the log energy over the utterance, the
standard deviation of its frame-to-frame change (how fast the band moves) and how far its
peak rises above its mean. Emotion moves exactly these: energy and spectral tilt (means),
pitch range and tremor (spread, change), accents (peaks). Four numbers per band give an
embedding of ``4 * n_mels`` values, computed from cached log-mels in milliseconds, on which
the same classifier as for the BYOL-S embeddings trains
(:class:`~serlib.models.EmbeddingClassifier`); :class:`serlib.models.MelStatsEncoder` is
the same function as a module, for models saved in bundles.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["mel_statistics"]


def mel_statistics(log_mel: Tensor) -> Tensor:
    """The statistics embedding of one log-mel spectrogram.

    Shape:
        log_mel: (1, n_mels, frames) or (n_mels, frames), at least 2 frames; returns
        (4 * n_mels,): band means, stds, stds of the frame differences, peak minus mean.

    Raises:
        ValueError: fewer than 2 frames, or non-finite values.
    """
    x = log_mel[0] if log_mel.ndim == 3 else log_mel  # (n_mels, frames)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"expected a log-mel (n_mels, frames >= 2), got {tuple(log_mel.shape)}")
    x = x.double()
    mean = x.mean(dim=1)
    out = torch.cat([mean, x.std(dim=1), x.diff(dim=1).std(dim=1), x.amax(dim=1) - mean])
    if not bool(torch.isfinite(out).all()):
        raise ValueError("the log-mel holds non-finite values")
    return out.float()  # (4 * n_mels,)
