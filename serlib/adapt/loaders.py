"""Training loaders whose randomness the engine can checkpoint: shuffling and random crops.

A resumed run must draw the same batches as an uninterrupted one. A loader made here keeps
all its randomness in two seeded generators that :class:`~serlib.adapt.cycling.Cycler`
saves and restores: the loader's ``generator`` (the order) and its collate function's
``generator`` (the random crops of :class:`CropCollate`).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from serlib.features.batching import Batch, pad_collate
from serlib.features.crops import random_crop

__all__ = ["CropCollate", "train_loader"]


class CropCollate:
    """Randomly crop every item along time to ``max_frames``, then pad the batch.

    Like ``serlib.features.crop_collate``, with the generator exposed as an attribute so
    that a checkpoint can save it.

    Args:
        max_frames: crop length in frames (e.g. 200 log-mel frames = 2 s at a 10 ms hop).
        seed: seeds the crop generator.
        multiple: pad time to a multiple of this.

    Shape:
        items: ``(feats (..., frames), label, index)``; returns a Batch with
        x (batch, ..., ≤ max_frames padded to ``multiple``).
    """

    def __init__(self, max_frames: int, *, seed: int = 0, multiple: int = 8) -> None:
        if max_frames < 1:
            raise ValueError(f"max_frames={max_frames}: must be at least 1")
        self.max_frames = max_frames
        self.multiple = multiple
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, items: Sequence[tuple[Tensor, int, int]]) -> Batch:
        cropped = [(random_crop(f, self.max_frames, self.generator), y, i) for f, y, i in items]
        return pad_collate(cropped, multiple=self.multiple)


def train_loader(dataset: Dataset, *, batch_size: int, seed: int,
                 max_frames: int | None = None) -> DataLoader:
    """A shuffled training loader: seeded order, optional seeded random crops.

    The batch size is capped by the dataset size, and a last incomplete batch is dropped
    when the dataset holds more than one batch (so that every step sees full batches).

    Args:
        dataset: yields ``(feats, label, index)``.
        batch_size: utterances per batch.
        seed: seeds the order (and, with ``seed + 1``, the crops).
        max_frames: random crops of this many frames (None: whole utterances).
    """
    size = len(dataset)  # type: ignore[arg-type]
    if size == 0:
        raise ValueError("cannot make a training loader from an empty dataset")
    batch_size = min(batch_size, size)
    collate = pad_collate if max_frames is None else CropCollate(max_frames, seed=seed + 1)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=size > batch_size,
                      collate_fn=collate, generator=torch.Generator().manual_seed(seed))
