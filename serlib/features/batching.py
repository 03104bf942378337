"""Utterance datasets and padded batches of variable-length log-mel spectrograms.

Every loader in serlib yields a :class:`Batch`: zero-padded inputs, the number of valid
frames of each item (so that pooling ignores padding), the labels (``-1`` where unknown,
e.g. unlabelled target utterances) and each item's index in its dataset (so that methods
can keep per-utterance state such as soft pseudo-labels).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from serlib.features.crops import random_crop

__all__ = ["EVAL_BATCH", "UNLABELLED", "Batch", "CropCollate", "Gathered", "UtteranceDataset",
           "eval_loader", "make_loader", "pad_collate"]

#: label of an utterance whose emotion is unknown to the learner
UNLABELLED = -1
#: batch size of evaluation loaders (whole utterances, no shuffling)
EVAL_BATCH = 64


@dataclass
class Batch:
    """A padded mini-batch.

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,) valid frames;
        y: (batch,) class ids, ``UNLABELLED`` (-1) where unknown; index: (batch,).
    """

    x: Tensor
    lengths: Tensor
    y: Tensor
    index: Tensor

    def to(self, device: torch.device | str) -> Batch:
        """The same batch on ``device``."""
        return Batch(self.x.to(device, non_blocking=True), self.lengths.to(device),
                     self.y.to(device), self.index.to(device))


class UtteranceDataset(Dataset):
    """Feature tensors of utterances with their class ids.

    Args:
        feats: one tensor per utterance, (1, n_mels, frames) each (frames may differ).
        labels: class id per utterance; ``None`` or ``UNLABELLED`` entries for unknown labels.
    """

    def __init__(self, feats: Sequence[Tensor], labels: Sequence[int] | None = None) -> None:
        if labels is not None and len(labels) != len(feats):
            raise ValueError(f"{len(feats)} feature tensors but {len(labels)} labels")
        self.feats = list(feats)
        self.labels = (torch.full((len(feats),), UNLABELLED, dtype=torch.long) if labels is None
                       else torch.as_tensor(list(labels), dtype=torch.long))

    def __len__(self) -> int:
        return len(self.feats)

    def __getitem__(self, index: int) -> tuple[Tensor, int, int]:
        return self.feats[index], int(self.labels[index]), index

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Tensor, int, int]]:
        """The items of one batch, fetched at once (what a DataLoader calls per batch).

        The same items as ``[self[i] for i in indices]`` (exactly that when a subclass
        changes ``__getitem__``). When every utterance has one view of the same shape
        (cached embeddings), the batch is also gathered from one stacked tensor and handed
        to the collate functions ready-made (:class:`Gathered`): building a batch item by
        item was a fifth of a training step on embeddings. The stacked copy is made at the
        first batch; the feature tensors are never changed in place.
        """
        indices = list(indices)
        if type(self).__getitem__ is not UtteranceDataset.__getitem__:  # a subclass's items
            return Gathered(self[i] for i in indices)
        index = torch.as_tensor(indices, dtype=torch.long)  # (batch,)
        y = self.labels[index]
        items = Gathered(zip([self.feats[i] for i in indices], y.tolist(), indices, strict=True))
        stacked = self._one_view_stack()
        if stacked is not None and indices:
            items.batch = Batch(stacked.index_select(0, index), torch.ones_like(index), y, index)
        return items

    def _one_view_stack(self) -> Tensor | None:
        """Every utterance's features stacked, (n, ..., 1), if each has one view of the same
        shape; else None (computed once)."""
        if not hasattr(self, "_stack"):
            first = self.feats[0] if self.feats else None
            one_view = first is not None and first.shape[-1] == 1 and all(
                f.shape == first.shape and f.dtype == first.dtype for f in self.feats)
            self._stack = torch.stack(self.feats) if one_view else None
        return self._stack

    def without_labels(self) -> UtteranceDataset:
        """The same utterances with every label hidden (for unlabelled target data)."""
        return UtteranceDataset(self.feats, None)


class Gathered(list):
    """The ``(feats, label, index)`` items of one batch, as :meth:`UtteranceDataset.__getitems__`
    returns them; ``batch`` holds them already collated when every item has one view (then
    there is nothing to pad or crop), else None."""

    batch: Batch | None = None


def pad_collate(items: Sequence[tuple[Tensor, int, int]], *, multiple: int = 8) -> Batch:
    """Zero-pad a list of ``(feats, label, index)`` items along time into a :class:`Batch`.

    Args:
        items: what :class:`UtteranceDataset` returns.
        multiple: pad the time axis to a multiple of this (CNNs that pool by 8 need it);
            items of one frame each (one embedding per utterance) are stacked unpadded.

    Shape:
        each item's feats: (..., frames), e.g. log-mels (1, n_mels, frames) or cached
        BYOL-S trunk features (1, 512, frames/8); returns ``Batch.x`` (batch, ..., padded).
    """
    if getattr(items, "batch", None) is not None:  # one view each, gathered at once
        return items.batch  # type: ignore[union-attr]
    lengths = torch.tensor([f.shape[-1] for f, _, _ in items])
    frames = int(lengths.max())
    if frames == 1 and int(lengths.min()) == 1:  # one view each (cached embeddings): no
        x = torch.stack([f for f, _, _ in items])  # padding, which would multiply the work
    else:
        frames = -(-frames // multiple) * multiple
        x = items[0][0].new_zeros((len(items), *items[0][0].shape[:-1], frames))
        for i, (f, _, _) in enumerate(items):
            x[i, ..., : f.shape[-1]] = f
    y = torch.tensor([label for _, label, _ in items], dtype=torch.long)
    index = torch.tensor([idx for _, _, idx in items], dtype=torch.long)
    return Batch(x, lengths, y, index)


class CropCollate:
    """A collate function that randomly crops every item along time, then pads the batch.

    The crop generator is an attribute, so that a training checkpoint can save and restore
    it (:class:`~serlib.train.Cycler` does): a resumed run draws the same crops.

    Args:
        max_frames: crop length in frames (``serlib.features.crop_frames(2.0, config)``).
        seed: seeds the crop generator: the same seed and item order give the same crops;
            every call draws new ones.
        multiple: as in :func:`pad_collate`.

    Shape:
        items: ``(feats (..., frames), label, index)``; returns a :class:`Batch` with
        x (batch, ..., ≤ max_frames padded to ``multiple``).

    Chapter: book/03_log_mel.md
    """

    def __init__(self, max_frames: int, *, seed: int = 0, multiple: int = 8) -> None:
        if max_frames < 1:
            raise ValueError(f"max_frames={max_frames}: must be at least 1")
        self.max_frames = max_frames
        self.multiple = multiple
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, items: Sequence[tuple[Tensor, int, int]]) -> Batch:
        if getattr(items, "batch", None) is not None:  # one view each: no crop to draw
            return items.batch  # type: ignore[union-attr]
        cropped = [(random_crop(f, self.max_frames, self.generator), y, i) for f, y, i in items]
        return pad_collate(cropped, multiple=self.multiple)


def make_loader(dataset: Dataset, *, batch_size: int, shuffle: bool, seed: int = 0,
                drop_last: bool = False, max_frames: int | None = None) -> DataLoader:
    """A DataLoader of padded :class:`Batch` es whose randomness is seeded and saveable.

    Every loader of serlib is made here: training loaders (``shuffle=True``, usually
    ``drop_last=True`` and random crops) and evaluation loaders (``shuffle=False``, whole
    utterances). All randomness lives in two seeded generators that a training checkpoint
    saves and restores (:class:`serlib.train.Cycler`): the loader's ``generator`` (the
    order, seeded with ``seed``) and the crops' (:class:`CropCollate`, seeded with
    ``seed + 1``).

    Args:
        dataset: yields ``(feats, label, index)`` items.
        batch_size: items per batch (capped by the dataset size).
        shuffle: reshuffle at every pass (training).
        seed: seeds the order and the crops.
        drop_last: drop a last, smaller batch, so that every training step sees full
            batches (ignored when the dataset holds a single batch).
        max_frames: random crops of this many frames in every batch (training, e.g.
            ``crop_frames(2.0, config)``); None keeps whole utterances (evaluation).

    Raises:
        ValueError: the dataset is empty.
    """
    size = len(dataset)  # type: ignore[arg-type]
    if size == 0:
        raise ValueError("cannot make a loader from an empty dataset")
    batch_size = min(batch_size, size)
    collate = pad_collate if max_frames is None else CropCollate(max_frames, seed=seed + 1)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      drop_last=drop_last and size > batch_size, collate_fn=collate,
                      generator=torch.Generator().manual_seed(seed))


def eval_loader(dataset: Dataset) -> DataLoader:
    """An unshuffled loader over whole utterances (dev, test, predictions): ``EVAL_BATCH``."""
    return make_loader(dataset, batch_size=EVAL_BATCH, shuffle=False)
