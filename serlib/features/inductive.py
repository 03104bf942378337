"""Strictly inductive utterance embeddings from frozen trunk frames: one recording at a time.

A model that meets recordings one by one (a bundle, a phone app, the papers' zero-shot)
cannot use the statistics of a test speaker or of the target domain. What it can use is
the recording itself and the **source** training statistics. This module holds the pieces
of such an embedding, computed from an utterance's frozen trunk frames
(:meth:`serlib.models.BYOLSEncoder.forward_trunk`):

1. **frame correction from the utterance alone** (``frames``): ``"none"`` leaves the frames
   as they are; ``"utterance"`` standardises them by the utterance's own per-channel mean
   and standard deviation and maps them onto the source training frames' statistics (the
   per-speaker correction of the cpu profile, with a group of one recording);
   ``"utterance_mean"`` moves only the mean;
2. the frozen first ``fc`` layer and its ReLU (:meth:`serlib.models.BYOLSEmbedder.neck`);
3. pooling over frames (``"mean_std"``, or ``"mean_std_max"``);
4. test-time crops of the one recording (:func:`frame_crops`): the model scores the whole
   recording and a few windows of it, and averages the probabilities.

The embeddings are then standardised with the statistics of the **source training**
embeddings (:func:`source_standardise`). Nothing here reads another recording of the
target: every output row depends on its own recording and the source only.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

__all__ = ["FRAME_MODES", "POOLINGS", "frame_crops", "inductive_embedding",
           "source_standardise"]

#: frame corrections that read only the recording itself
FRAME_MODES = ("none", "utterance", "utterance_mean")
#: poolings over frames
POOLINGS = ("mean_std", "mean_std_max")

_EPS = 1e-3  # as serlib.models.byols_embedder: trunk channels can be nearly constant


def _correct(h: Tensor, mode: str, source_mean: Tensor, source_std: Tensor) -> Tensor:
    """One recording's frames corrected by its own statistics. Shape: h (frames, c)."""
    if mode == "none":
        return h
    mean = h.mean(0)
    if mode == "utterance_mean":
        return h - mean + source_mean
    if mode == "utterance":
        std = h.std(0, unbiased=False)
        return (h - mean) / (std + _EPS) * (source_std + _EPS) + source_mean
    raise ValueError(f"frames={mode!r}: use one of {list(FRAME_MODES)}")


def _pool(z: Tensor, pooling: str) -> Tensor:
    """Pool one recording's frames. Shape: z (frames, d); returns (2 d,) or (3 d,)."""
    parts = [z.mean(0), z.std(0, unbiased=False)]
    if pooling == "mean_std_max":
        parts.append(z.max(0).values)
    elif pooling != "mean_std":
        raise ValueError(f"pooling={pooling!r}: use one of {list(POOLINGS)}")
    return torch.cat(parts)


def frame_crops(n_frames: int, *, n_crops: int, length: int) -> list[slice]:
    """The whole recording and ``n_crops`` evenly spaced windows of ``length`` frames.

    A recording shorter than ``length`` gets only the whole (no crop).

    Example:
        >>> frame_crops(10, n_crops=2, length=4)
        [slice(0, 10, None), slice(0, 4, None), slice(6, 10, None)]
    """
    out = [slice(0, n_frames)]
    if n_crops < 1 or n_frames <= length:
        return out
    starts = [round(k * (n_frames - length) / max(n_crops - 1, 1)) for k in range(n_crops)]
    return out + [slice(s, s + length) for s in starts]


def inductive_embedding(frames: Sequence[Tensor], neck: Callable[[Tensor], Tensor], *,
                        source_mean: Tensor, source_std: Tensor, mode: str = "utterance",
                        pooling: str = "mean_std",
                        crops: Sequence[Sequence[slice]] | None = None) -> Tensor:
    """Embeddings of recordings, each computed from itself and the source statistics only.

    Args:
        frames: each recording's trunk frames.
        neck: frames → the layer pooled (e.g. ``fc[1](fc[0](h))`` of BYOL-S).
        source_mean: per-channel mean of the source training frames.
        source_std: their standard deviation.
        mode: a :data:`FRAME_MODES` entry.
        pooling: a :data:`POOLINGS` entry.
        crops: for each recording, the windows to embed (:func:`frame_crops`); None: the
            whole recording only.

    Returns:
        One row per (recording, window), recordings in order, windows in order.

    Shape:
        frames: each (frames, c); returns (sum of windows, 2 d or 3 d).
    """
    rows = []
    with torch.no_grad():
        for i, h in enumerate(frames):
            z = neck(_correct(h, mode, source_mean, source_std))  # (frames, d)
            for window in (crops[i] if crops is not None else [slice(0, len(h))]):
                rows.append(_pool(z[window], pooling))
    return torch.stack(rows)


def source_standardise(x: Tensor, source: Tensor) -> Tensor:
    """Standardise rows by the per-dimension statistics of the source training rows.

    Shape:
        x: (n, d); source: (m, d); returns (n, d).
    """
    return (x - source.mean(0)) / (source.std(0, unbiased=False) + 1e-6)
