"""Random training crops: 2 s = 200 frames, seeded, whole utterances when shorter."""

from __future__ import annotations

import torch

from serlib.features import (
    CropCollate,
    UtteranceDataset,
    crop_frames,
    make_loader,
    mel_preset,
    random_crop,
)


def test_two_seconds_is_200_frames() -> None:
    assert crop_frames(2.0, mel_preset("agarla")) == 200
    assert crop_frames(0.96, mel_preset("byols")) == 96
    assert crop_frames(2.0, mel_preset("byols"), stride=8) == 25  # cached trunk features


def test_random_crop_window_and_short_inputs() -> None:
    feats = torch.arange(500.0).view(1, 1, 500)
    g = torch.Generator().manual_seed(0)
    crop = random_crop(feats, 200, g)
    assert crop.shape == (1, 1, 200)
    start = int(crop[0, 0, 0])
    assert torch.equal(crop[0, 0], torch.arange(start, start + 200.0))  # contiguous window
    short = torch.ones(1, 64, 120)
    assert random_crop(short, 200, g) is short


def test_crop_collate_is_reproducible_and_pads() -> None:
    items = [(torch.randn(1, 64, n), i % 2, i) for i, n in enumerate([500, 150, 320, 90])]
    first, again = CropCollate(200, seed=3), CropCollate(200, seed=3)
    a, b = first(items), again(items)
    torch.testing.assert_close(a.x, b.x)
    assert a.lengths.tolist() == [200, 150, 200, 90]
    assert a.x.shape == (4, 1, 64, 200)
    c = first(items)  # the next call draws new crops
    assert not torch.equal(a.x, c.x)


def test_make_loader_crops_training_batches_only() -> None:
    dataset = UtteranceDataset([torch.randn(1, 64, n) for n in (300, 260, 410, 120)],
                               [0, 1, 0, 1])
    crops = [b.lengths.max().item() for b in make_loader(dataset, batch_size=4, shuffle=True,
                                                          seed=0, max_frames=100)]
    assert crops == [100]
    whole = next(iter(make_loader(dataset, batch_size=4, shuffle=False)))
    assert whole.lengths.tolist() == [300, 260, 410, 120]
    runs = [[b.x for b in make_loader(dataset, batch_size=2, shuffle=True, seed=5,
                                      max_frames=64)] for _ in range(2)]
    for x, y in zip(*runs, strict=True):
        torch.testing.assert_close(x, y)
