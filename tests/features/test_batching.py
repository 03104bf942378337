"""Batches gathered at once (``UtteranceDataset.__getitems__``) are the batches built item by
item: same order, same tensors, same random crops; the one-view shortcut changes no number."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from serlib.features import (
    UNLABELLED,
    CropCollate,
    Gathered,
    UtteranceDataset,
    make_loader,
    pad_collate,
)


class ItemByItem(Dataset):
    """The same dataset without ``__getitems__``: the DataLoader fetches item by item."""

    def __init__(self, inner: UtteranceDataset) -> None:
        self.inner = inner

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int):
        return self.inner[index]


def _one_view(n: int = 23, dim: int = 6, seed: int = 0) -> UtteranceDataset:
    g = torch.Generator().manual_seed(seed)
    return UtteranceDataset([torch.randn(1, dim, 1, generator=g) for _ in range(n)],
                            [i % 3 if i % 5 else UNLABELLED for i in range(n)])


def _many_frames(n: int = 11) -> UtteranceDataset:
    g = torch.Generator().manual_seed(1)
    return UtteranceDataset([torch.randn(1, 4, 3 + (7 * i) % 13, generator=g) for i in range(n)],
                            [i % 2 for i in range(n)])


def _passes(loader: DataLoader, passes: int = 3) -> list:
    return [batch for _ in range(passes) for batch in loader]


def _assert_same(a: list, b: list) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        for name in ("x", "lengths", "y", "index"):
            u, v = getattr(x, name), getattr(y, name)
            assert u.dtype == v.dtype and u.shape == v.shape, name
            assert torch.equal(u, v), name


@pytest.mark.parametrize("make", [_one_view, _many_frames])
@pytest.mark.parametrize("crop", [None, 1, 5])
def test_gathered_batches_equal_item_by_item_batches(make, crop) -> None:
    ds = make()
    fast = make_loader(ds, batch_size=4, shuffle=True, seed=7, drop_last=True, max_frames=crop)
    slow = DataLoader(ItemByItem(ds), batch_size=4, shuffle=True, drop_last=True,
                      collate_fn=pad_collate if crop is None else CropCollate(crop, seed=8),
                      generator=torch.Generator().manual_seed(7))
    _assert_same(_passes(fast), _passes(slow))


def test_one_view_items_come_ready_made_and_other_items_do_not() -> None:
    one = _one_view().__getitems__([3, 0, 3])
    assert isinstance(one, Gathered) and one.batch is not None
    assert [i for _, _, i in one] == [3, 0, 3]  # still the items, for any collate function
    assert one.batch.lengths.tolist() == [1, 1, 1]
    assert one.batch.y.tolist() == [3 % 3, UNLABELLED, 3 % 3]
    assert _many_frames().__getitems__([0, 1]).batch is None
    mixed = UtteranceDataset([torch.ones(1, 4, 1), torch.ones(1, 5, 1)], [0, 1])
    assert mixed.__getitems__([0, 1]).batch is None  # one view each, shapes differ


def test_hidden_labels_are_unlabelled_in_gathered_batches() -> None:
    ds = _one_view().without_labels()
    batch = pad_collate(ds.__getitems__(list(range(5))))
    assert batch.y.tolist() == [UNLABELLED] * 5


def test_a_subclass_that_changes_its_items_is_fetched_item_by_item() -> None:
    class Doubled(UtteranceDataset):
        def __getitem__(self, index):
            feats, label, i = super().__getitem__(index)
            return 2 * feats, label, i

    ds = _one_view()
    doubled = Doubled(ds.feats, ds.labels.tolist())
    batch = pad_collate(doubled.__getitems__([1, 2]))
    assert torch.equal(batch.x, 2 * torch.stack([ds.feats[1], ds.feats[2]]))
