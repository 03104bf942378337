"""BYOL-S with its conv trunk frozen and **cached** (the cpu profile).

The ``fc`` neck and the linear head train on trunk features computed once per utterance
(:func:`~serlib.features.cached_trunk_features`), so MMD still acts on a trainable layer
while the trunk never runs during training. With a *frozen* trunk the normalisation of
the log-mels matters a lot (see :mod:`.byols`).

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.experiments.backbones.byols import ByolsBackbone
from serlib.features import cached_trunk_features
from serlib.models import BYOLSNeckClassifier

__all__ = ["ByolsNeckBackbone"]


class ByolsNeckBackbone(ByolsBackbone):
    """BYOL-S with a frozen conv trunk whose features are cached: trains ``fc`` + head."""

    name = "byols_neck"
    time_stride = 8  # the trunk pools time by 8
    #: the trunk (and its BatchNorm layers) is frozen and cached: no AdaBN
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {**ByolsBackbone.test_time,
                                                          "adabn": (False,)}

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        return cached_trunk_features(table, self.encoder, self.mel_config, stats=self.stats,
                                     progress=progress)  # each (1, 512, frames/8)

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return BYOLSNeckClassifier(copy.deepcopy(self.encoder), num_classes)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return self._spec(num_classes, "trunk")

    def export(self, model: nn.Module, num_classes: int,
               target_table: pd.DataFrame | None = None) -> tuple[nn.Module, dict[str, Any]]:
        return model.on_log_mels(), self._spec(num_classes, "trunk")  # log-mels in
