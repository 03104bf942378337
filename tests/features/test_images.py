"""Log-mel images for VGG16: torch matches the NumPy reference; padding never enters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.features import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    LogMel,
    MelImage,
    compute_log_mel,
    compute_mel_image,
    mel_preset,
    mel_to_image,
)


@pytest.mark.parametrize("size", [64, 224])
def test_torch_matches_numpy_reference(size: int, make_speech) -> None:
    config = mel_preset("vgg")
    wave = make_speech(1.4, seed=2)
    ref = compute_mel_image(compute_log_mel(wave, config), size=size)
    log_mel = LogMel(config)(torch.from_numpy(wave))
    out = mel_to_image(log_mel, size=size)
    assert out.shape == (1, 3, size, size) and ref.shape == (3, size, size)
    np.testing.assert_allclose(out[0].numpy(), ref, atol=2e-4)


def test_resize_is_torch_bilinear_without_antialias() -> None:
    spec = np.random.default_rng(0).normal(size=(40, 90))
    ours = compute_mel_image(spec, size=64, flip=False)[0] * IMAGENET_STD[0] + IMAGENET_MEAN[0]
    scaled = (spec - spec.min()) / (spec.max() - spec.min())
    theirs = torch.nn.functional.interpolate(torch.from_numpy(scaled)[None, None], size=(64, 64),
                                             mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-6)


def test_padding_never_enters_the_image() -> None:
    rng = torch.Generator().manual_seed(0)
    short = torch.randn(1, 1, 128, 50, generator=rng)
    padded = torch.cat([short, 100 * torch.randn(1, 1, 128, 30, generator=rng)], dim=-1)
    alone = mel_to_image(short, size=64)
    batched = mel_to_image(torch.cat([padded, padded]), torch.tensor([50, 80]), size=64)
    torch.testing.assert_close(batched[0], alone[0])
    assert not torch.allclose(batched[1], alone[0])


def test_image_statistics_and_orientation() -> None:
    spec = torch.zeros(1, 1, 128, 20)
    spec[0, 0, :10] = 1.0  # energy in the low bands
    image = mel_to_image(spec, size=32)
    pixels = image * torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) + torch.tensor(
        IMAGENET_MEAN).view(1, 3, 1, 1)
    assert float(pixels.min()) >= -1e-6 and float(pixels.max()) <= 1 + 1e-6
    assert float(pixels[0, 0, -1].mean()) == pytest.approx(1.0)  # low bands at the bottom
    assert float(pixels[0, 0, 0].mean()) == pytest.approx(0.0)
    torch.testing.assert_close(pixels[:, 0], pixels[:, 2])  # grey: three equal channels


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="too small"):
        MelImage(16)
    with pytest.raises(ValueError, match="batch, 1, n_mels, frames"):
        mel_to_image(torch.zeros(2, 128, 40))
