"""The small CNN on log-mels standardised per utterance (the smoke backbone; random init).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.experiments.backbones.base import Backbone
from serlib.experiments.config import ExperimentConfig
from serlib.features import cached_log_mels, mel_preset
from serlib.models import SmallCNN

__all__ = ["SmallCNNBackbone"]


class SmallCNNBackbone(Backbone):
    """:class:`~serlib.models.SmallCNN` on Agarla et al.'s log-mels (``backbone_options``
    are its keyword arguments, e.g. ``{embed_dim: 32}``)."""

    name = "small_cnn"
    #: log-mels standardised per utterance (``mel_preset("agarla")``); BatchNorm layers
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {
        **Backbone.test_time, "normalize": ("utterance",), "adabn": (False, True)}
    test_time_defaults: ClassVar[Mapping[str, Any]] = {"frames": "none",
                                                       "normalize": "utterance"}
    #: SmallCNN's keyword arguments (read from its signature)
    option_names: ClassVar[tuple[str, ...]] = tuple(
        p for p in inspect.signature(SmallCNN).parameters if p not in ("num_classes", "n_mels"))

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        self.mel_config = mel_preset("agarla")
        self.options = {k: list(v) if isinstance(v, tuple) else v
                        for k, v in config.backbone_options.items()}

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        return cached_log_mels(table, self.mel_config, progress=progress)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return {"architecture": "SmallCNN",
                "kwargs": {"num_classes": num_classes, "n_mels": self.mel_config.n_mels,
                           **self.options}}

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in self.options.items()}
        return SmallCNN(num_classes, n_mels=self.mel_config.n_mels, **options)
