"""Log-mel statistics + a small classifier (the smoke profile's backbone; no network).

The embedding of an utterance is :func:`serlib.features.mel_statistics` of its log-mels
(Agarla et al.'s front-end without per-utterance standardisation): 4 numbers per band,
256 in all. Computed from cached log-mels in milliseconds, it lets every chapter train its
models in seconds on the synthetic corpus, with the same classifier, normalisation options
and adaptation methods as the BYOL-S embeddings of the cpu profile.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.experiments.backbones.embedding import EmbeddingBackbone
from serlib.experiments.config import ExperimentConfig
from serlib.features import cached_log_mels, mel_preset, mel_statistics
from serlib.models import MelStatsEncoder

__all__ = ["MelStatsBackbone"]


class MelStatsBackbone(EmbeddingBackbone):
    """Band statistics of log-mels → :class:`~serlib.models.EmbeddingClassifier`."""

    name = "mel_stats"

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        self.mel_config = mel_preset("agarla", normalize="none")
        self.dim = 4 * self.mel_config.n_mels
        super().__init__(config, source_table)

    def embed(self, table: pd.DataFrame, *, progress: bool) -> Tensor:
        feats = cached_log_mels(table, self.mel_config, progress=progress)
        return torch.stack([mel_statistics(f) for f in feats])  # (n, 4 n_mels)

    def front(self, target_table: pd.DataFrame | None = None
              ) -> tuple[nn.Module, dict[str, Any]]:
        return MelStatsEncoder(), {"architecture": "MelStatsEncoder", "kwargs": {}}
