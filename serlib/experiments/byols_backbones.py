"""Pre-trained backbones: BYOL-S (frozen cached trunk, or fine-tuned) and VGG16 on mel images.

See :mod:`serlib.experiments.backbones` for the interface.

BYOL-S expects standardised log-mels. ``backbone_options.normalize`` chooses how:

- ``"utterance"`` (default): every spectrogram is standardised by its own mean and standard
  deviation, as Agarla et al. do (Sec. 5.2). It needs no statistics of any data set and
  removes each recording's level and channel offset.
- ``"source"``: BYOL-A's dataset standardisation with one mean and standard deviation
  computed on the **source train** split, applied to every domain (saved in the bundles).

With a *frozen* trunk the choice matters a lot: on RAVDESS -> EmoDB, source statistics shift
EmoDB's trunk features so far that the zero-shot model predicts a single class (UAR = chance),
while per-utterance standardisation keeps it well above chance.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.errors import ConfigError
from serlib.experiments.backbones import Backbone
from serlib.experiments.config import ExperimentConfig
from serlib.features import (
    NormStats,
    apply_norm_stats,
    cached_log_mels,
    cached_trunk_features,
    compute_norm_stats,
    mel_preset,
)
from serlib.models import (
    BYOLSClassifier,
    BYOLSEncoder,
    BYOLSNeckClassifier,
    VGG16Mel,
    load_byols_encoder,
)

__all__ = ["NORMALIZE", "ByolsBackbone", "ByolsNeckBackbone", "VggBackbone"]

#: ``backbone_options.normalize`` values of the BYOL-S backbones
NORMALIZE = ("utterance", "source")


class _Byols(Backbone):
    """What both BYOL-S backbones share: the encoder, the front-end, the statistics."""

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        super().__init__()
        self.options = dict(config.backbone_options)
        normalize = self.options.get("normalize", "utterance")
        if normalize not in NORMALIZE:
            raise ConfigError(f"backbone_options.normalize={normalize!r}: use one of {NORMALIZE}")
        self.encoder: BYOLSEncoder = load_byols_encoder(config.checkpoint, progress=False)
        self.stats: NormStats | None = None
        if normalize == "utterance":
            self.mel_config = mel_preset("byols", normalize="utterance")
        else:
            self.mel_config = mel_preset("byols")
            train = source_table[source_table["split"] == "train"]
            self.stats = compute_norm_stats(cached_log_mels(train, self.mel_config,
                                                            progress=False))
            self.norm_stats = self.stats.to_dict()

    def _spec(self, num_classes: int, freeze: bool | str) -> dict[str, Any]:
        encoder = {"architecture": "BYOLSEncoder",
                   "kwargs": {"d": self.encoder.d, "n_mels": self.encoder.n_mels}}
        return {"architecture": "BYOLSClassifier",
                "kwargs": {"encoder": encoder, "num_classes": num_classes, "freeze": freeze}}


class ByolsNeckBackbone(_Byols):
    """BYOL-S with a frozen conv trunk whose features are cached: trains ``fc`` + head."""

    name = "byols_neck"

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        super().__init__(config, source_table)
        rate = self.mel_config.sample_rate / self.mel_config.hop_length
        self.frames_per_second = rate / 8  # the trunk pools time by 8

    def compute_inputs(self, table: pd.DataFrame, *, progress: bool) -> list[Tensor]:
        return cached_trunk_features(table, self.encoder, self.mel_config, stats=self.stats,
                                     progress=progress)  # each (1, 512, frames/8)

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return BYOLSNeckClassifier(copy.deepcopy(self.encoder), num_classes)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return self._spec(num_classes, "trunk")

    def export(self, model: nn.Module, num_classes: int) -> tuple[nn.Module, dict[str, Any]]:
        return model.on_log_mels(), self._spec(num_classes, "trunk")  # log-mels in


class ByolsBackbone(_Byols):
    """BYOL-S fine-tuned on standardised log-mels (``backbone_options: {freeze: ...}``)."""

    name = "byols"

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        super().__init__(config, source_table)
        self.frames_per_second = self.mel_config.sample_rate / self.mel_config.hop_length
        self.freeze = self.options.get("freeze", False)  # False, "trunk" or True

    def compute_inputs(self, table: pd.DataFrame, *, progress: bool) -> list[Tensor]:
        feats = cached_log_mels(table, self.mel_config, progress=progress)
        return apply_norm_stats(feats, self.stats)  # type: ignore[return-value]

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return BYOLSClassifier(copy.deepcopy(self.encoder), num_classes, freeze=self.freeze)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return self._spec(num_classes, self.freeze)


class VggBackbone(Backbone):
    """VGG16 on log-mel images with ImageNet weights (``checkpoint``: a local copy)."""

    name = "vgg"

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        super().__init__()
        self.mel_config = mel_preset("vgg")
        self.frames_per_second = self.mel_config.sample_rate / self.mel_config.hop_length
        self.image_size = config.backbone_options.get("image_size", 224)
        self.weights = config.checkpoint
        self.pretrained = bool(config.backbone_options.get("pretrained", True))

    def compute_inputs(self, table: pd.DataFrame, *, progress: bool) -> list[Tensor]:
        return cached_log_mels(table, self.mel_config, progress=progress)

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return VGG16Mel(num_classes, image_size=self.image_size,
                        pretrained=self.pretrained and self.weights is None,
                        weights_path=self.weights if self.pretrained else None, progress=False)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return {"architecture": "VGG16Mel",
                "kwargs": {"num_classes": num_classes, "image_size": self.image_size,
                           "pretrained": False}}
