"""Pooling over time that ignores padding.

Utterances have different lengths; a batch is zero-padded to the longest one. Every model in
serlib turns frame-level features into one utterance vector with :func:`masked_mean_max`,
which only looks at each utterance's valid frames.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["frame_mask", "masked_mean_max"]


def frame_mask(lengths: Tensor, num_frames: int) -> Tensor:
    """Boolean mask of the valid frames.

    Args:
        lengths: number of valid frames of each item; values above ``num_frames`` are clipped
            and values below 1 become 1 (every utterance keeps at least one frame).
        num_frames: the padded length.

    Shape:
        lengths: (batch,); returns (batch, num_frames).
    """
    lengths = lengths.clamp(min=1, max=num_frames)
    steps = torch.arange(num_frames, device=lengths.device)
    return steps[None, :] < lengths[:, None]


def masked_mean_max(h: Tensor, lengths: Tensor | None = None) -> Tensor:
    """Mean over time plus max over time, over valid frames only (the BYOL-A/BYOL-S pooling).

    Args:
        h: frame-level features.
        lengths: valid frames per item; ``None`` means all frames are valid.

    Shape:
        h: (batch, time, dim); lengths: (batch,); returns (batch, dim).
    """
    if lengths is None:
        return h.mean(dim=1) + h.amax(dim=1)
    mask = frame_mask(lengths, h.shape[1]).unsqueeze(-1)  # (batch, time, 1)
    count = mask.sum(dim=1).clamp(min=1)
    mean = (h * mask).sum(dim=1) / count
    maximum = h.masked_fill(~mask, float("-inf")).amax(dim=1)
    return mean + maximum
