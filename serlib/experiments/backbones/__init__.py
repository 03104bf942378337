"""Backbones: how a run turns utterances into model inputs and builds its model.

One backbone per module, all implementing :class:`~.base.Backbone`:

- ``mel_stats``: log-mel band statistics + a small classifier (smoke; seconds per run);
- ``byols_embed``: frozen pre-trained BYOL-S embeddings, frame-corrected (``frames``), + a small
  classifier (cpu; about a second per run);
- ``small_cnn``: the SmallCNN on utterance-normalised log-mels (random init);
- ``byols_neck``: BYOL-S with its conv trunk frozen and cached: the ``fc`` neck and the
  linear head train;
- ``byols``: BYOL-S fine-tuned on log-mels (Agarla et al.; full);
- ``vgg``: VGG16 on log-mel images, ImageNet weights (Baklouti et al.; full).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import pandas as pd

from serlib.errors import ConfigError
from serlib.experiments.backbones.base import Backbone
from serlib.experiments.backbones.byols import ByolsBackbone
from serlib.experiments.backbones.byols_embed import ByolsEmbedBackbone
from serlib.experiments.backbones.byols_neck import ByolsNeckBackbone
from serlib.experiments.backbones.embedding import EmbeddingBackbone
from serlib.experiments.backbones.mel_stats import MelStatsBackbone
from serlib.experiments.backbones.small_cnn import SmallCNNBackbone
from serlib.experiments.backbones.vgg import VggBackbone
from serlib.experiments.config import BACKBONE_NAMES, ExperimentConfig

__all__ = ["BACKBONES", "Backbone", "ByolsBackbone", "ByolsEmbedBackbone", "ByolsNeckBackbone",
           "EmbeddingBackbone", "MelStatsBackbone", "SmallCNNBackbone", "VggBackbone",
           "make_backbone"]

#: backbone classes by name
BACKBONES: dict[str, type[Backbone]] = {
    "mel_stats": MelStatsBackbone,
    "byols_embed": ByolsEmbedBackbone,
    "small_cnn": SmallCNNBackbone,
    "byols_neck": ByolsNeckBackbone,
    "byols": ByolsBackbone,
    "vgg": VggBackbone,
}
assert tuple(BACKBONES) == BACKBONE_NAMES  # the names configs are checked against


def make_backbone(config: ExperimentConfig, source_table: pd.DataFrame) -> Backbone:
    """The configured backbone for a source domain (its statistics from source train)."""
    if config.backbone not in BACKBONES:
        raise ConfigError(f"unknown backbone {config.backbone!r}; available: {list(BACKBONES)}")
    return BACKBONES[config.backbone](config, source_table)
