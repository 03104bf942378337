"""On a GPU, mel images are made without copying the lengths to the host (same images)."""

from __future__ import annotations

import pytest
import torch

from serlib.features import images


@pytest.mark.parametrize(("frames", "size"), [(300, 224), (40, 64), (100, 32), (17, 224)])
def test_the_batched_path_makes_the_same_images(frames, size):
    g = torch.Generator().manual_seed(frames)
    x = torch.randn(5, 1, 64, frames, generator=g) * 3 + 1
    lengths = torch.tensor([frames, frames // 2, 1, 3, max(1, frames - 7)])
    loop = images.mel_to_image(x, lengths, size=size)  # the per-item loop (CPU)
    batched = images._mel_to_image_batched(x, lengths, size=size, flip=True)
    torch.testing.assert_close(batched, loop, atol=2e-4, rtol=1e-4)
