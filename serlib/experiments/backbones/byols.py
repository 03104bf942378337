"""BYOL-S fine-tuned on standardised log-mels (Agarla et al., 2024; the full profile).

BYOL-S expects standardised log-mels. The experiment's ``normalize`` chooses how:

- ``"utterance"`` (default): every spectrogram is standardised by its own mean and standard
  deviation, as Agarla et al. do (Sec. 5.2). It needs no statistics of any data set and
  removes each recording's level and channel offset.
- ``"source"``: BYOL-A's dataset standardisation with one mean and standard deviation
  computed on the **source train** split, applied to every domain (saved in the bundles).

``backbone_options.freeze`` may freeze the conv ``"trunk"`` or everything (``true``: a
linear probe). The weights come from :func:`serlib.experiments.weights.resolve_weights`.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.errors import ConfigError
from serlib.experiments.backbones.base import Backbone
from serlib.experiments.config import ExperimentConfig
from serlib.experiments.weights import resolve_weights
from serlib.features import (
    NormStats,
    apply_norm_stats,
    cached_log_mels,
    compute_norm_stats,
    mel_preset,
)
from serlib.models import BYOLSClassifier, BYOLSEncoder, load_byols_encoder

__all__ = ["NORMALIZE", "ByolsBackbone"]

#: ``normalize`` values of the BYOL-S backbones
NORMALIZE = ("utterance", "source")


class ByolsBackbone(Backbone):
    """BYOL-S + linear head on standardised log-mels (``backbone_options: {freeze: ...}``)."""

    name = "byols"
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {
        **Backbone.test_time, "normalize": NORMALIZE, "adabn": (False, True)}
    test_time_defaults: ClassVar[Mapping[str, Any]] = {"frames": "none",
                                                       "normalize": "utterance"}
    option_names: ClassVar[tuple[str, ...]] = ("freeze",)

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        if "normalize" in options:
            raise ConfigError(f"{where}: backbone_options.normalize is now the experiment's "
                              f"`normalize:` key; write normalize: {options['normalize']} "
                              f"(one of {list(NORMALIZE)})")
        super().check_options(options, where)
        if options.get("freeze", False) not in (False, True, "trunk"):
            raise ConfigError(f"{where}: backbone_options.freeze={options['freeze']!r}; use "
                              "false, 'trunk' or true")

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        self.check_options(config.backbone_options, "experiment")
        self.options = dict(config.backbone_options)
        normalize = config.normalize or "utterance"
        weights = resolve_weights(config.backbone or self.name, config.weights, self.options)
        self.encoder: BYOLSEncoder = load_byols_encoder(weights, progress=False)
        self.freeze = self.options.get("freeze", False)  # False, "trunk" or True
        self.stats: NormStats | None = None
        if normalize == "utterance":
            self.mel_config = mel_preset("byols", normalize="utterance")
        else:
            self.mel_config = mel_preset("byols")
            train = source_table[source_table["split"] == "train"]
            self.stats = compute_norm_stats(cached_log_mels(train, self.mel_config,
                                                            progress=False))
            self.norm_stats = self.stats.to_dict()

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        feats = cached_log_mels(table, self.mel_config, progress=progress)
        return apply_norm_stats(feats, self.stats)  # type: ignore[return-value]

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return BYOLSClassifier(copy.deepcopy(self.encoder), num_classes, freeze=self.freeze)

    def _spec(self, num_classes: int, freeze: bool | str) -> dict[str, Any]:
        encoder = {"architecture": "BYOLSEncoder",
                   "kwargs": {"d": self.encoder.d, "n_mels": self.encoder.n_mels}}
        return {"architecture": "BYOLSClassifier",
                "kwargs": {"encoder": encoder, "num_classes": num_classes, "freeze": freeze}}

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return self._spec(num_classes, self.freeze)
