"""Pre-trained weights, resolved per backbone: the right file for the right architecture.

Each backbone has its own source of weights; a variable meant for one never feeds another:

==============  =========================================================================
backbone        weights (``weights:`` in an experiment, else ...)
==============  =========================================================================
small_cnn       none (random initialisation; ``weights`` must be null)
mel_stats       none (no network in front of the classifier)
byols_embed     ``$SERLIB_BYOLS_CHECKPOINT``, else the published d512 checkpoint
byols_neck      ``$SERLIB_BYOLS_CHECKPOINT``, else the published d512 checkpoint
byols           (downloaded once; offline, a ``DownloadError`` says how to use a copy)
vgg             ``$SERLIB_VGG16_WEIGHTS`` (a local copy of torchvision's
                ``vgg16-397923af.pth``), else torchvision's ImageNet download;
                ``backbone_options: {pretrained: false}`` is a random initialisation
==============  =========================================================================

:func:`resolve_weights` only reads names and variables (no torch: ``serlib experiment plan``
uses it); :func:`check_weights` opens the file and refuses one made for another
architecture with a :class:`~serlib.errors.ConfigError` naming the file, the backbone and
what it expected, before any data is prepared.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from serlib.errors import ConfigError

__all__ = ["BYOLS_ENV", "VGG16_ENV", "check_weights", "resolve_weights"]

#: environment variable with a local BYOL-S checkpoint (BYOL-S backbones only)
BYOLS_ENV = "SERLIB_BYOLS_CHECKPOINT"
#: environment variable with a local copy of torchvision's VGG16 ImageNet weights
VGG16_ENV = "SERLIB_VGG16_WEIGHTS"
_BYOLS = ("byols", "byols_neck", "byols_embed")


def resolve_weights(backbone: str, weights: str | None,
                    options: Mapping[str, Any] | None = None) -> str | None:
    """The weights a backbone will load: a file path, a registry name, or None.

    Args:
        backbone: the backbone's name.
        weights: what the experiment says (None: the backbone's default, see the table).
        options: the backbone's options (``pretrained: false`` for a random VGG16).

    Returns:
        For BYOL-S, a path or a registry name (never None); for VGG16, a path, or None for
        torchvision's download (or no weights at all with ``pretrained: false``); for the
        small CNN, None.

    Raises:
        ConfigError: weights given to a backbone that takes none.
    """
    options = dict(options or {})
    if backbone in ("small_cnn", "mel_stats"):
        if weights is not None:
            raise ConfigError(f"backbone {backbone} has no pre-trained weights, but weights="
                              f"{weights!r} was given; remove it (or use a byols/vgg backbone)")
        return None
    if backbone in _BYOLS:
        from serlib.models.byols_checkpoints import DEFAULT_BYOLS_CHECKPOINT

        return weights or os.environ.get(BYOLS_ENV) or DEFAULT_BYOLS_CHECKPOINT
    if backbone == "vgg":
        if options.get("pretrained", True) is False:
            if weights is not None:
                raise ConfigError(f"backbone vgg with pretrained: false takes no weights, but "
                                  f"weights={weights!r} was given; remove one of the two")
            return None
        return weights or os.environ.get(VGG16_ENV) or None
    raise ConfigError(f"unknown backbone {backbone!r}")


def check_weights(backbone: str, weights: str | None) -> None:
    """Open ``weights`` and check that they fit ``backbone`` (registry names are trusted).

    Raises:
        ConfigError: the file holds weights of another architecture (names the file, the
            backbone and the keys it expected).
        CheckpointError: the file is missing or not readable.
    """
    if weights is None or backbone in ("small_cnn", "mel_stats"):
        return
    from serlib.models.byols_checkpoints import BYOLS_CHECKPOINTS

    if backbone in _BYOLS and weights in BYOLS_CHECKPOINTS:
        return
    import torch

    from serlib.errors import CheckpointError

    path = Path(weights).expanduser()
    if not path.is_file():
        env = BYOLS_ENV if backbone in _BYOLS else VGG16_ENV
        raise CheckpointError(f"{path}: no such weights file for backbone {backbone}; fix "
                              f"the path (${env} or `weights:` in the experiment)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # any unpickling failure: not a state dict
        raise CheckpointError(f"{path}: not a readable PyTorch state dict "
                              f"({type(err).__name__}); download it again") from None
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    keys = set(state) if isinstance(state, Mapping) else set()
    expected = ({"fc.0.weight", "fc.3.weight", "features.0.weight"} if backbone in _BYOLS
                else {"features.0.weight", "classifier.0.weight", "classifier.6.weight"})
    if not expected <= keys:
        what = ("a BYOL-S (AudioNTT2020) state dict" if backbone in _BYOLS
                else "torchvision's vgg16 state dict (vgg16-397923af.pth)")
        raise ConfigError(f"{path} does not hold weights for backbone {backbone}: expected "
                          f"{what} with keys {sorted(expected)}, found "
                          f"{sorted(keys)[:6]}{' ...' if len(keys) > 6 else ''}")
