"""Backbones on cached utterance embeddings: a frozen front-end, normalisation, a small head.

The front-end (log-mel statistics in the smoke profile, BYOL-S in the cpu profile) turns an
utterance into a fixed embedding once; what trains is an
:class:`~serlib.models.EmbeddingClassifier` (a projection, the layer adaptation acts on, and
a linear head), so a run takes seconds. The experiment's ``normalize`` option standardises
the embeddings, per dimension, before the classifier sees them:

- ``"source"``: with the statistics of the **source training** utterances, every domain;
- ``"target"``: each domain with its own statistics (over its utterances, unlabelled);
- ``"speaker"``: each speaker with the statistics of their own utterances (unlabelled;
  transductive: a test speaker's own utterances give their statistics);
- ``"utterance"``: each embedding by its own mean and spread; ``"none"``: unchanged.

A bundle holds the front-end, the classifier and the statistics of the *target domain* as a
whole (source statistics in ``"source"`` mode, none in ``"none"``): one recording cannot
give per-speaker statistics.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.experiments.backbones.base import Backbone
from serlib.experiments.config import ExperimentConfig
from serlib.features import UtteranceDataset, normalize_embeddings
from serlib.features.norm_stats import embedding_stats
from serlib.models import EmbeddingClassifier, FrozenFrontClassifier

if TYPE_CHECKING:
    from serlib.train import Predictions

__all__ = ["EmbeddingBackbone"]

#: ``backbone_options`` of every embedding backbone (the classifier's)
CLASSIFIER_OPTIONS = ("hidden", "dropout", "activation")


class EmbeddingBackbone(Backbone):
    """What embedding backbones share; a subclass gives :meth:`embed` and :meth:`front`."""

    supports_crops = False  # one cached view per utterance: no random crops in training
    train_threads = 1  # a head this small trains several times faster on one thread
    option_names: ClassVar[tuple[str, ...]] = CLASSIFIER_OPTIONS
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {
        **Backbone.test_time, "normalize": ("none", "utterance", "source", "target", "speaker")}
    test_time_defaults: ClassVar[Mapping[str, Any]] = {"frames": "none", "normalize": "source"}

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        self.check_options(config.backbone_options, "experiment")
        self.options = dict(config.backbone_options)
        self.normalize = config.normalize or "source"
        self.source_stats: tuple[Tensor, Tensor] | None = None
        if self.normalize == "source":
            train = self.embed(source_table[source_table["split"] == "train"], progress=False)
            self.source_stats = embedding_stats(train, what="the source's training "
                                                "utterances")

    # --- what a subclass provides -------------------------------------------------------
    def embed(self, table: pd.DataFrame, *, progress: bool) -> Tensor:
        """Raw embeddings of the table's rows. Shape: returns (n, dim)."""
        raise NotImplementedError

    def front(self, target_table: pd.DataFrame | None = None
              ) -> tuple[nn.Module, dict[str, Any]]:
        """The front-end as a module reading log-mels, and its bundle spec (``target_table``:
        the run's target domain, for a front-end that keeps its statistics)."""
        raise NotImplementedError

    def bundle_embed(self, table: pd.DataFrame) -> Tensor:
        """Embeddings as the bundled front-end computes them (for the bundle's
        standardisation statistics). Shape: returns (n, dim)."""
        return self.embed(table, progress=False)

    # --- the Backbone interface ---------------------------------------------------------
    def _normalized(self, table: pd.DataFrame, x: Tensor) -> Tensor:
        if self.normalize == "source":
            assert self.source_stats is not None
            mean, std = self.source_stats
            return (x - mean) / std
        return normalize_embeddings(x, mode=self.normalize, domains=["domain"] * len(x),
                                    speakers=list(table["speaker"].astype(str)),
                                    source="domain")

    def inputs(self, table: pd.DataFrame, *, progress: bool = False) -> list[Tensor]:
        x = self._normalized(table, self.embed(table, progress=progress))  # (n, dim)
        return [row[None, :, None] for row in x]  # each (1, dim, 1): one view

    def refine_features(self, pred: Predictions, dataset: UtteranceDataset) -> Tensor:
        """The normalised embeddings the classifier reads (fixed; not its projection), in
        the order of ``pred``.

        Shape:
            returns (len(dataset), dim).
        """
        embeddings = torch.stack([x[0].mean(dim=-1) for x in dataset.feats])  # (1, dim, views)
        return embeddings[pred.index]  # (len(dataset), dim), the loader's order

    def new_model(self, num_classes: int, seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return EmbeddingClassifier(self.dim, num_classes, **self._classifier_options())

    def _classifier_options(self) -> dict[str, Any]:
        return {k: self.options[k] for k in CLASSIFIER_OPTIONS if k in self.options}

    def model_spec(self, num_classes: int) -> dict[str, Any]:
        return {"architecture": "EmbeddingClassifier",
                "kwargs": {"in_dim": self.dim, "num_classes": num_classes,
                           **self._classifier_options()}}

    def export(self, model: nn.Module, num_classes: int,
               target_table: pd.DataFrame | None = None) -> tuple[nn.Module, dict[str, Any]]:
        """The classifier behind its front-end and the standardisation (see module doc)."""
        mean = std = None
        if self.normalize == "source" and self.source_stats is not None:
            mean, std = (t.tolist() for t in self.source_stats)
        elif self.normalize in ("target", "speaker") and target_table is not None:
            x = self.bundle_embed(target_table)
            mean, std = (t.tolist() for t in embedding_stats(
                x, what=f"the target's utterances ({self.normalize} statistics)"))
        front, front_spec = self.front(target_table)
        exported = FrozenFrontClassifier(front, model, mean=mean, std=std)
        spec = {"architecture": "FrozenFrontClassifier",
                "kwargs": {"front": front_spec, "classifier": self.model_spec(num_classes),
                           "mean": mean, "std": std}}
        return exported, spec
