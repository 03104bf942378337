"""VGG16 on log-mel images with ImageNet weights (Baklouti et al., 2024; the full profile).

``backbone_options``: ``image_size`` (224, the paper; 64 runs the same code path cheaply)
and ``pretrained`` (``false``: a random initialisation, what CI uses). The ImageNet weights
come from ``weights:`` / ``$SERLIB_VGG16_WEIGHTS`` (a local copy) or torchvision's download
(see :mod:`serlib.experiments.weights`).

Chapter: book/04_source_models.md
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.experiments.backbones.base import Backbone
from serlib.experiments.config import ExperimentConfig
from serlib.experiments.weights import resolve_weights
from serlib.features import cached_log_mels, mel_preset
from serlib.models import VGG16Mel

__all__ = ["VggBackbone"]

_OPTIONS = ("image_size", "pretrained")


class VggBackbone(Backbone):
    """VGG16 (torchvision) on log-mel images; MMD at FC1 (its ``forward_features``)."""

    name = "vgg"
    #: log-mel images in dB relative to their own maximum (``mel_preset("vgg")``); VGG16
    #: runs no BatchNorm layer
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {**Backbone.test_time,
                                                          "normalize": ("max",)}
    test_time_defaults: ClassVar[Mapping[str, Any]] = {"frames": "none", "normalize": "max"}
    option_names: ClassVar[tuple[str, ...]] = _OPTIONS

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        self.check_options(config.backbone_options, "experiment")
        self.mel_config = mel_preset("vgg")
        self.image_size = config.backbone_options.get("image_size", 224)
        self.pretrained = bool(config.backbone_options.get("pretrained", True))
        self.weights = resolve_weights("vgg", config.weights, config.backbone_options)

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        return cached_log_mels(table, self.mel_config, progress=progress)

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return VGG16Mel(num_classes, image_size=self.image_size,
                        pretrained=self.pretrained, weights_path=self.weights, progress=False)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return {"architecture": "VGG16Mel",
                "kwargs": {"num_classes": num_classes, "image_size": self.image_size,
                           "pretrained": False}}
