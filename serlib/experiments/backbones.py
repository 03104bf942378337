"""Backbones: how a run turns utterances into model inputs and builds its model.

A backbone object is made once per source domain (normalisation statistics, when a
backbone uses them, come from the **source train** split). It gives

- ``inputs(table)``: one model-input tensor per row (log-mels, or cached features of a
  frozen trunk), computed once and cached;
- ``new_model(num_classes, seed)``: a model with the backbone's starting weights;
- ``export(model)``: the model to save in a bundle, taking log-mels (for a model trained
  on cached trunk features this puts the frozen trunk back in front) and its spec.

Backbones:

- ``small_cnn``: the SmallCNN on utterance-normalised log-mels (smoke; random init);
- ``byols_neck``: BYOL-S with its conv trunk frozen and **cached** (the cpu profile): the
  ``fc`` neck and the linear head train on trunk features computed once per utterance
  (:mod:`.byols_backbones`), so MMD still acts on a trainable layer;
- ``byols``: BYOL-S fine-tuned on log-mels (Agarla et al.; ``backbone_options.freeze``
  may freeze the ``"trunk"`` or everything);
- ``vgg``: VGG16 on log-mel images, ImageNet weights (Baklouti et al.; a GPU).

Pre-trained weights come from ``checkpoint`` (a local file) or, for BYOL-S,
``$SERLIB_BYOLS_CHECKPOINT``; normalisation statistics from the source train split.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.errors import ConfigError
from serlib.experiments.config import ExperimentConfig
from serlib.features import MelConfig, cached_log_mels, mel_preset
from serlib.models import SmallCNN

__all__ = ["BACKBONES", "Backbone", "SmallCNNBackbone", "make_backbone"]


class Backbone:
    """The interface every backbone implements (see the module docstring).

    Attributes:
        name: the backbone's name in configs.
        mel_config: the log-mel front-end of its inputs.
        norm_stats: normalisation statistics applied to the log-mels (None: none).
        frames_per_second: input frames per second of audio (to size random crops).
        time_dim: the time axis of one input tensor (crops cut along it).
    """

    name = "backbone"
    mel_config: MelConfig
    norm_stats: Any = None
    frames_per_second: float = 100.0
    time_dim: int = -1

    def __init__(self) -> None:
        self._cache: dict[str, Tensor] = {}

    def compute_inputs(self, table: pd.DataFrame, *, progress: bool) -> list[Tensor]:
        """Inputs of rows not cached yet (implemented by each backbone)."""
        raise NotImplementedError

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        """One input tensor per row of ``table`` (computed once per file)."""
        missing = table[~table["path"].isin(self._cache)].drop_duplicates("path")
        if len(missing):
            for path, x in zip(missing["path"], self.compute_inputs(missing, progress=progress),
                               strict=True):
                self._cache[path] = x
        return [self._cache[p] for p in table["path"]]

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        """A model with the backbone's starting weights (seeded head / random init)."""
        raise NotImplementedError

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        """How :meth:`new_model` builds the model (for checkpoints)."""
        raise NotImplementedError

    def export(self, model: nn.Module, num_classes: int) -> tuple[nn.Module, dict[str, Any]]:
        """The model to bundle (taking log-mels) and its spec."""
        return model, self.model_spec(num_classes)


class SmallCNNBackbone(Backbone):
    """The small CNN on log-mels standardised per utterance (the smoke backbone)."""

    name = "small_cnn"

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        super().__init__()
        self.mel_config = mel_preset("agarla")
        self.frames_per_second = self.mel_config.sample_rate / self.mel_config.hop_length
        self.options = {k: list(v) if isinstance(v, tuple) else v
                        for k, v in config.backbone_options.items()}

    def compute_inputs(self, table: pd.DataFrame, *, progress: bool) -> list[Tensor]:
        return cached_log_mels(table, self.mel_config, progress=progress)

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return {"architecture": "SmallCNN",
                "kwargs": {"num_classes": num_classes, "n_mels": self.mel_config.n_mels,
                           **self.options}}

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in self.options.items()}
        return SmallCNN(num_classes, n_mels=self.mel_config.n_mels, **options)


#: backbone names (``make_backbone`` builds them)
BACKBONES = ("small_cnn", "byols_neck", "byols", "vgg")


def make_backbone(config: ExperimentConfig, source_table: pd.DataFrame) -> Backbone:
    """The configured backbone for a source domain (its statistics from source train)."""
    from serlib.experiments.byols_backbones import ByolsBackbone, ByolsNeckBackbone, VggBackbone

    classes: dict[str, type] = {"small_cnn": SmallCNNBackbone, "byols_neck": ByolsNeckBackbone,
                                "byols": ByolsBackbone, "vgg": VggBackbone}
    if config.backbone not in classes:
        raise ConfigError(f"unknown backbone {config.backbone!r}; available: {list(BACKBONES)}")
    return classes[config.backbone](config, source_table)
