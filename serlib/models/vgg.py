"""VGG16 on log-mel images (Baklouti et al., 2024): ImageNet transfer with MMD at FC1.

torchvision's ``vgg16`` with a new last layer for C emotions. The input is a padded batch of
log-mels (``mel_preset("vgg")``): the model first turns each utterance's valid frames into an
ImageNet-normalised RGB image (:class:`~serlib.features.MelImage`), so loaders, caches and
the training engine are the same as for every other model. The layer that Baklouti et al.
align with MMD is the first fully connected layer: :meth:`VGG16Mel.forward_features` returns
its activations (after the ReLU, 4096 values), :meth:`VGG16Mel.features` any of
``"conv"`` (25088), ``"fc1"``, ``"fc2"`` (4096 each).

Weights: ``pretrained=True`` loads torchvision's ImageNet weights (``IMAGENET1K_V1``,
``vgg16-397923af.pth``, 528 MB) through its weights API into ``cache_root()/weights``
(Colab); ``weights_path=`` loads a local copy of that file; ``pretrained=False`` is a random
initialisation (CI). Offline, ``pretrained=True`` fails in about half a second, before
building the network, with a message saying what to do.

Profiles: ``image_size=224`` (full) or 64 (smoke). The smoke size runs the same torchvision
code path: the adaptive average pooling still hands 512 x 7 x 7 = 25088 values to FC1. The
138 M parameters (528 MB, plus 1 GB of Adam state when fine-tuning) do not shrink; the
convolutions cost about (64/224)^2 = 1/12 of the 15.5 GFLOPs per image at 224.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import urllib.parse
from pathlib import Path

import torch
from torch import Tensor, nn

from serlib.data.root import cache_root, ensure_writable
from serlib.errors import CheckpointError, DownloadError
from serlib.features.images import VGG_IMAGE_SIZES, MelImage
from serlib.integrity import check_finite_state, load_torch_file

__all__ = ["VGG16_URL", "VGG_LAYERS", "VGG16Mel", "load_vgg16_imagenet"]

log = logging.getLogger(__name__)

#: torchvision's ImageNet weights for VGG16 (the file name carries its hash prefix)
VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"  # torchvision's IMAGENET1K_V1
VGG_LAYERS = ("conv", "fc1", "fc2")


def _reachable(url: str, timeout: float) -> bool:
    """Whether a TCP connection to ``url``'s host opens within ``timeout`` s (DNS included)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)  # bounds a slow DNS lookup too
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def load_vgg16_imagenet(weights_path: str | os.PathLike[str] | None = None, *,
                        progress: bool = True, timeout: float = 0.5) -> dict[str, Tensor]:
    """torchvision's ImageNet state dict for VGG16, from a local file or downloaded once.

    Args:
        weights_path: a local copy of ``vgg16-397923af.pth``; None downloads it (or reuses
            ``cache_root()/weights/vgg16-397923af.pth``).
        progress: show a download progress bar.
        timeout: seconds allowed to reach the server before giving up.

    Raises:
        CheckpointError: ``weights_path`` is missing, truncated, not a state dict or holds
            non-finite weights (a damaged *downloaded* copy is deleted and fetched again).
        CacheError: the weights folder under ``$SERLIB_CACHE`` cannot be written.
        DownloadError: no local copy and the server cannot be reached (offline).
    """
    if weights_path is not None:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            what = "is a directory, not a file" if path.is_dir() else "no such file"
            raise CheckpointError(f"{path}: {what} (expected torchvision's "
                                  f"{VGG16_URL.rsplit('/', 1)[-1]})")
        state = load_torch_file(path, mmap=True,
                                fix=f"download {VGG16_URL} again and pass that file")
        if not isinstance(state, dict):
            raise CheckpointError(f"{path}: holds a {type(state).__name__}, not a state dict "
                                  f"(expected torchvision's {VGG16_URL.rsplit('/', 1)[-1]})")
        check_finite_state(state, source=str(path))
        return state
    folder = cache_root() / "weights"
    local = folder / VGG16_URL.rsplit("/", 1)[-1]
    if local.is_file():
        try:
            return load_vgg16_imagenet(local)
        except CheckpointError as err:  # a download cut short: fetch it again
            log.warning("%s; deleting the downloaded copy and fetching it again", err)
            local.unlink(missing_ok=True)
    if not _reachable(VGG16_URL, timeout):
        raise DownloadError(
            f"VGG16Mel(pretrained=True) needs torchvision's ImageNet weights from {VGG16_URL}, "
            f"which cannot be reached (offline?). Either run with internet access (e.g. on "
            f"Colab), or download that file elsewhere and pass "
            f"VGG16Mel(..., weights_path='/path/to/{local.name}') (or put it at {local}); "
            "pretrained=False gives a random initialisation (what CI uses).")
    ensure_writable(folder, what="the downloaded VGG16 weights")
    from torchvision.models import VGG16_Weights  # torchvision imports in seconds: on use

    state = VGG16_Weights.IMAGENET1K_V1.get_state_dict(progress=progress, model_dir=str(folder),
                                                       check_hash=True)
    check_finite_state(state, source=str(local))
    return state


class VGG16Mel(nn.Module):
    """torchvision VGG16 on log-mel images with a new C-class head.

    Args:
        num_classes: number of emotions.
        image_size: side of the input images (224 full, 64 smoke; at least 32), or a
            profile name from :data:`~serlib.features.VGG_IMAGE_SIZES`.
        pretrained: start from torchvision's ImageNet weights (needs them: see module doc).
        weights_path: a local copy of the ImageNet weights (implies ``pretrained``).
        dropout: dropout of the two hidden fully connected layers (VGG's 0.5).
        progress: show a download progress bar.

    Shape:
        x: (batch, 1, n_mels, frames) log-mels; lengths: (batch,) valid frames or None.
        :meth:`forward_features` returns (batch, 4096) FC1 activations; :meth:`forward`
        returns (batch, num_classes).

    Chapter: book/04_source_models.md
    """

    def __init__(self, num_classes: int, *, image_size: int | str = 224,
                 pretrained: bool = False, weights_path: str | os.PathLike[str] | None = None,
                 dropout: float = 0.5, progress: bool = True) -> None:
        super().__init__()
        size = VGG_IMAGE_SIZES[image_size] if isinstance(image_size, str) else int(image_size)
        self.to_image = MelImage(size)  # validates the size before any heavy work
        from torchvision.models import vgg16  # torchvision takes seconds to import: on use

        state = (load_vgg16_imagenet(weights_path, progress=progress)
                 if pretrained or weights_path is not None else None)
        if state is None:
            net = vgg16(weights=None, dropout=dropout)
        else:
            with torch.device("meta"):  # no random init that the weights would overwrite
                net = vgg16(weights=None, dropout=dropout)
            own = net.state_dict()
            missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
            if missing or unexpected:
                raise CheckpointError(f"the VGG16 weights do not fit torchvision's vgg16: "
                                      f"missing keys {missing}, unexpected keys {unexpected}")
            net.load_state_dict(state, strict=True, assign=True)
        self.conv = net.features  # 13 conv layers, 5 max-poolings: (batch, 512, s/32, s/32)
        self.avgpool = net.avgpool  # adaptive: (batch, 512, 7, 7) for any size >= 32
        self.fc1 = nn.Sequential(net.classifier[0], nn.ReLU())  # Linear(25088, 4096)
        self.head = nn.Sequential(nn.Dropout(dropout), net.classifier[3], nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(4096, num_classes))
        self.image_size = size
        self.feature_dim = 4096  # FC1, the output of forward_features

    def features(self, x: Tensor, lengths: Tensor | None = None, *,
                 layer: str = "fc1") -> Tensor:
        """Activations of one layer: ``"conv"`` (pooled, flattened), ``"fc1"`` or ``"fc2"``.

        Shape:
            x: (batch, 1, n_mels, frames); returns (batch, 25088) for ``"conv"``, else
            (batch, 4096). ``"fc2"`` skips dropout (as in eval mode).
        """
        if layer not in VGG_LAYERS:
            raise ValueError(f"layer={layer!r}: use one of {list(VGG_LAYERS)}")
        image = self.to_image(x, lengths)  # (batch, 3, size, size)
        if image.is_cuda:  # tensor cores want NHWC: channels_last images and conv weights
            image = image.contiguous(memory_format=torch.channels_last)
            self._channels_last()
        h = torch.flatten(self.avgpool(self.conv(image)), 1)  # (batch, 512 * 7 * 7)
        if layer == "conv":
            return h
        h = self.fc1(h)  # (batch, 4096)
        if layer == "fc2":
            h = self.head[2](self.head[1](h))  # (batch, 4096)
        assert h.shape[1] == 4096, h.shape
        return h

    def _channels_last(self) -> None:
        """Store the conv weights channels_last (once, in place: the optimiser's tensors stay)."""
        for p in self.conv.parameters():
            if p.dim() == 4 and not p.is_contiguous(memory_format=torch.channels_last):
                p.data = p.data.contiguous(memory_format=torch.channels_last)

    def forward_features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """FC1 activations (the layer MMD aligns in Baklouti et al.)."""
        return self.features(x, lengths, layer="fc1")

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.forward_features(x, lengths))
