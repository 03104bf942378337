"""The interface every backbone implements: inputs, a fresh model, and what to bundle.

A backbone object is made once per source domain (normalisation statistics, when a
backbone uses them, come from the **source train** split). It gives

- :meth:`Backbone.inputs`: one model-input tensor per row of a table (log-mels, or cached
  features of a frozen trunk); features are cached on disk by :mod:`serlib.features`, so
  asking twice reads them back (nothing is kept in memory by the backbone);
- :meth:`Backbone.new_model`: a model with the backbone's starting weights;
- :meth:`Backbone.export`: the model to save in a bundle, taking log-mels (for a model
  trained on cached trunk features this puts the frozen trunk back in front) and its spec;
- :meth:`Backbone.refine_features`: the representation that test-time refinement
  (``refine: speaker_centroids``) clusters.

Each backbone class declares what it supports, so a config is checked before any data is
read: ``test_time`` (the values of each test-time setting it applies, see
:mod:`serlib.experiments.test_time`), ``test_time_defaults`` (what it applies when the
config leaves a setting null) and ``option_names`` (its ``backbone_options``; checked by
:meth:`Backbone.check_options`).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from torch import Tensor, nn

from serlib.errors import ConfigError
from serlib.features import MelConfig, UtteranceDataset

if TYPE_CHECKING:
    from serlib.train import Predictions

__all__ = ["Backbone"]


class Backbone:
    """Turns utterances into model inputs and builds the model (see the module docstring).

    Attributes:
        name: the backbone's name in configs.
        mel_config: the log-mel front-end of its inputs.
        norm_stats: normalisation statistics applied to the log-mels, as saved in bundles
            (None: none).
        time_stride: log-mel frames per input frame (8 for features of a trunk that pools
            time by 8; 1 for log-mels).
        supports_crops: whether training takes the recipe's random crops.
        train_threads: CPU threads torch uses while training (None: leave torch's);
            a head on cached embeddings trains fastest on one.
    """

    name = "backbone"
    #: test-time setting → the values this backbone applies (the first is not special)
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {
        "frames": ("none",), "normalize": ("none",), "adabn": (False,),
        "refine": ("none", "speaker_centroids")}
    #: what the backbone applies when the config leaves a setting null
    test_time_defaults: ClassVar[Mapping[str, Any]] = {"frames": "none", "normalize": "none"}
    #: the ``backbone_options`` keys it accepts
    option_names: ClassVar[tuple[str, ...]] = ()
    supports_crops = True  # random crops in training (False: one cached view per utterance)
    train_threads: int | None = None  # CPU threads while training (None: torch's setting)
    mel_config: MelConfig
    norm_stats: dict[str, Any] | None = None
    time_stride: int = 1

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        """Refuse ``backbone_options`` the backbone does not take (before any data is read).

        Raises:
            ConfigError: naming the unknown keys and the accepted ones.
        """
        unknown = sorted(set(options) - set(cls.option_names))
        if unknown:
            raise ConfigError(f"{where}: backbone {cls.name}: unknown backbone_options "
                              f"{unknown}; it accepts {list(cls.option_names)}")

    @property
    def frames_per_second(self) -> float:
        """Input frames per second of audio (to size random crops)."""
        return self.mel_config.sample_rate / self.mel_config.hop_length / self.time_stride

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        """One input tensor per row of ``table`` (computed, or read from the disk cache)."""
        raise NotImplementedError

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        """A model with the backbone's starting weights (seeded head / random init)."""
        raise NotImplementedError

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        """How to rebuild the exported model (for bundles): architecture and kwargs."""
        raise NotImplementedError

    def export(self, model: nn.Module, num_classes: int,
               target_table: pd.DataFrame | None = None) -> tuple[nn.Module, dict[str, Any]]:
        """The model to bundle (taking log-mels) and its spec (``target_table``: the run's
        target domain, for backbones whose bundle keeps its statistics)."""
        return model, self.model_spec(num_classes)

    def refine_features(self, pred: Predictions, dataset: UtteranceDataset) -> Tensor:
        """What speaker-centroid refinement clusters, in the order of ``pred``: the model's
        features (``forward_features``, the layer MMD aligns), which ``pred`` holds
        (``predict(..., with_feats=True)`` over ``dataset``).

        Shape:
            returns (len(dataset), feature_dim).
        """
        if pred.feats is None:
            raise ValueError("refinement needs the model's features: predict with "
                             "with_feats=True")
        return pred.feats
