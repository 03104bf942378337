"""Training loaders whose randomness the engine can checkpoint: shuffling and random crops.

A resumed run must draw the same batches as an uninterrupted one. A loader made here keeps
all its randomness in two seeded generators that :class:`~serlib.adapt.cycling.Cycler`
saves and restores: the loader's ``generator`` (the order) and its collate function's
``generator`` (the random crops of :class:`serlib.features.CropCollate`).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from serlib.features.batching import CropCollate, pad_collate

__all__ = ["CropCollate", "train_loader"]  # CropCollate: re-exported from serlib.features


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
