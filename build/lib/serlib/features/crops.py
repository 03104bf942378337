"""Random crops along time for training; whole utterances for evaluation.

Agarla et al. (2024, Sec. 5.2) train on a random 2 s excerpt of every utterance (200 frames
at a 10 ms hop) and test on whole utterances. A crop is taken when a batch is assembled
(:class:`CropCollate`), so that every epoch sees new excerpts, from a generator seeded once:
the same seed and loader order give the same crops. Utterances shorter than the crop are
kept whole (and padded by :func:`~serlib.features.batching.pad_collate`, whose ``lengths``
let the pooling ignore the padding). Evaluation loaders simply do not crop.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import torch
from torch import Tensor

from serlib.features.mel_config import MelConfig

__all__ = ["crop_frames", "random_crop"]


def crop_frames(seconds: float, config: MelConfig, *, stride: int = 1) -> int:
    """Number of frames in ``seconds`` of audio (e.g. 2 s at a 10 ms hop -> 200).

    Args:
        seconds: crop length.
        config: the front-end (its hop length).
        stride: frames of the front-end per feature frame: 8 for cached BYOL-S trunk
            features (2 s -> 25 trunk frames).
    """
    if seconds <= 0 or stride < 1:
        raise ValueError(f"need a positive crop length and stride, got {seconds} s, {stride}")
    return max(1, round(seconds * config.sample_rate / config.hop_length / stride))


def random_crop(feats: Tensor, max_frames: int, generator: torch.Generator | None = None
                ) -> Tensor:
    """A random window of ``max_frames`` along the last axis (the whole input if shorter).

    Shape:
        feats: (..., frames); returns (..., min(frames, max_frames)).
    """
    if max_frames < 1:
        raise ValueError(f"max_frames={max_frames}: must be at least 1")
    frames = feats.shape[-1]
    if frames <= max_frames:
        return feats
    start = int(torch.randint(0, frames - max_frames + 1, (1,), generator=generator))
    return feats[..., start : start + max_frames]
