"""Log-mel spectrograms as images for ImageNet CNNs (VGG16, Baklouti et al., 2024).

A spectrogram becomes an RGB image the way a saved spectrogram picture is made: its valid
frames only (padding never enters the image), scaled to [0, 1] by its own minimum and
maximum (what ``matplotlib.pyplot.imsave`` does), flipped so that low frequencies are at
the bottom, resized with bilinear interpolation (half-pixel centres, no antialiasing) to
``size x size``, copied to three channels and normalised with the ImageNet mean and standard
deviation that torchvision's pretrained weights expect.

Sizes: 224 x 224 in the full profile (the ImageNet resolution); 64 x 64 in the smoke
profile, which keeps VGG16's code path (its adaptive average pooling still gives the first
fully connected layer 512 x 7 x 7 = 25088 inputs) at about 1/12 of the convolution cost.

:func:`mel_to_image` (torch, batched) and :func:`compute_mel_image` (NumPy reference) agree
to float precision; :class:`MelImage` is the module the VGG model starts with.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "VGG_IMAGE_SIZES",
    "MelImage",
    "compute_mel_image",
    "mel_to_image",
]

#: per-channel statistics of ImageNet (torchvision's pretrained weights expect them)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: image side per profile
VGG_IMAGE_SIZES = {"full": 224, "smoke": 64}


def mel_to_image(x: Tensor, lengths: Tensor | None = None, *, size: int = 224,
                 flip: bool = True) -> Tensor:
    """Turn a padded batch of log-mel spectrograms into ImageNet-normalised RGB images.

    Args:
        x: log-mel spectrograms (any log scale; each is min-max scaled on its own).
        lengths: valid frames per item; None when all frames are valid.
        size: side of the square output image.
        flip: put low frequencies at the bottom (as in a spectrogram picture).

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,); returns (batch, 3, size, size).

    Chapter: book/03_log_mel.md
    """
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"expected log-mels of shape (batch, 1, n_mels, frames), got "
                         f"{tuple(x.shape)}")
    frames = x.shape[-1]
    if lengths is not None and x.is_cuda:  # no host sync of the lengths on a GPU
        return _mel_to_image_batched(x, lengths, size=size, flip=flip)
    valid = ([frames] * x.shape[0] if lengths is None
             else lengths.clamp(min=1, max=frames).tolist())
    images = []
    for i, n in enumerate(valid):
        spec = x[i : i + 1, :, :, : int(n)].float()  # (1, 1, n_mels, n)
        low, high = spec.amin(), spec.amax()
        spec = (spec - low) / (high - low).clamp(min=1e-12)  # [0, 1]
        if flip:
            spec = spec.flip(-2)  # row 0 = highest band
        images.append(F.interpolate(spec, size=(size, size), mode="bilinear",
                                    align_corners=False, antialias=False))
    image = torch.cat(images).expand(-1, 3, -1, -1)  # (batch, 3, size, size)
    mean = image.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = image.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (image - mean) / std


def _mel_to_image_batched(x: Tensor, lengths: Tensor, *, size: int, flip: bool) -> Tensor:
    """:func:`mel_to_image` of a padded batch in one pass, lengths left on the device.

    Each item's valid frames are min-max scaled (statistics over the valid frames only) and
    resampled with ``grid_sample`` at the source positions ``F.interpolate`` uses (bilinear,
    half-pixel centres, no antialiasing, clamped to the valid frames): the same images,
    without copying ``lengths`` to the host (a GPU would wait for it every step).

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,); returns (batch, 3, size, size).
    """
    batch, _, n_mels, frames = x.shape
    x = x.float()
    n = lengths.clamp(min=1, max=frames).to(x.dtype)  # (batch,)
    valid = (torch.arange(frames, device=x.device)[None, :] < n[:, None])[:, None, None, :]
    low = x.masked_fill(~valid, float("inf")).amin(dim=(1, 2, 3)).view(-1, 1, 1, 1)
    high = x.masked_fill(~valid, float("-inf")).amax(dim=(1, 2, 3)).view(-1, 1, 1, 1)
    spec = ((x - low) / (high - low).clamp(min=1e-12)).masked_fill(~valid, 0.0)
    if flip:
        spec = spec.flip(-2)
    j = torch.arange(size, device=x.device, dtype=x.dtype) + 0.5
    src_x = torch.minimum((j[None, :] * n[:, None] / size - 0.5).clamp(min=0),
                          n[:, None] - 1)  # (batch, size), in frames
    src_y = (j * n_mels / size - 0.5).clamp(min=0, max=n_mels - 1)  # (size,), in bands
    grid_x = ((2 * src_x + 1) / frames - 1)[:, None, :].expand(batch, size, size)
    grid_y = ((2 * src_y + 1) / n_mels - 1)[None, :, None].expand(batch, size, size)
    grid = torch.stack([grid_x, grid_y], dim=-1)  # (batch, size, size, 2): x, then y
    image = F.grid_sample(spec, grid, mode="bilinear", padding_mode="border",
                          align_corners=False).expand(-1, 3, -1, -1)
    mean = image.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = image.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (image - mean) / std


def _resize_axis(a: np.ndarray, out: int, axis: int) -> np.ndarray:
    """Linear interpolation along one axis with half-pixel centres (torch's bilinear)."""
    n = a.shape[axis]
    src = np.maximum((np.arange(out) + 0.5) * (n / out) - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(int), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    frac = src - lo
    shape = [1, 1]
    shape[axis] = out
    frac = frac.reshape(shape)
    return np.take(a, lo, axis=axis) * (1 - frac) + np.take(a, hi, axis=axis) * frac


def compute_mel_image(log_mel: np.ndarray, *, size: int = 224, flip: bool = True) -> np.ndarray:
    """Reference (NumPy, float64) of :func:`mel_to_image` for one spectrogram.

    Shape:
        log_mel: (n_mels, frames), valid frames only; returns (3, size, size) float32.

    Chapter: book/03_log_mel.md
    """
    spec = np.asarray(log_mel, dtype=np.float64)
    spec = (spec - spec.min()) / max(spec.max() - spec.min(), 1e-12)
    if flip:
        spec = spec[::-1]
    image = _resize_axis(_resize_axis(spec, size, 0), size, 1)  # (size, size)
    mean = np.asarray(IMAGENET_MEAN)[:, None, None]
    std = np.asarray(IMAGENET_STD)[:, None, None]
    return ((image[None] - mean) / std).astype(np.float32)


class MelImage(nn.Module):
    """:func:`mel_to_image` as a module (the first stage of :class:`~serlib.models.VGG16Mel`).

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,) or None; returns
        (batch, 3, size, size).
    """

    def __init__(self, size: int = 224, *, flip: bool = True) -> None:
        super().__init__()
        if size < 32:
            raise ValueError(f"image size {size} is too small for VGG16's five poolings "
                             "(use at least 32)")
        self.size = size
        self.flip = flip

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return mel_to_image(x, lengths, size=self.size, flip=self.flip)

    def extra_repr(self) -> str:
        return f"size={self.size}, flip={self.flip}"
