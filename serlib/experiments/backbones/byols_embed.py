"""Frozen BYOL-S utterance embeddings with frame correction (the cpu profile's backbone).

The cpu profile trains only a small classifier (:class:`~serlib.models.EmbeddingClassifier`,
by default a low-rank linear one: ``Linear(1024, 64)``, dropout, ``Linear(64, 5)``) on
embeddings computed once per utterance (:class:`~serlib.models.BYOLSEmbedder`):

1. log-mels standardised per utterance (Agarla et al., Sec. 5.2), through the frozen conv
   trunk of the pre-trained BYOL-S (cached on disk: :func:`~serlib.features.cached_trunk_features`);
2. the experiment's ``frames`` option: trunk frames re-standardised with the statistics of
   a group and mapped onto those of the source training frames (no labels used): ``none``
   (no correction: source statistics only, inductive), ``utterance`` (each recording's
   own, inductive), ``domain`` (the domain's frames as a whole) or ``speaker`` (each
   speaker's own utterances; the default, which the cpu edition of the book has always
   used: test-time information ``target speaker``);
3. BYOL-S's first ``fc`` layer (frozen), then the mean and standard deviation over frames;
4. the experiment's ``normalize`` option on the embeddings (the cpu profile: ``speaker``).

A run then takes about a second on one CPU thread, so every chapter can compare methods
over three seeds and speaker folds. A bundle corrects frames with the statistics of the
run's target domain as a whole (one recording has no speaker statistics; see
:meth:`ByolsEmbedBackbone.export`) and records the run's test-time settings:
``serlib predict --speaker`` applies the speaker-level ones to recordings grouped by speaker,
and takes the inductive path (source statistics) without speakers
(:mod:`serlib.experiments.speaker_predict`).

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from serlib.experiments.backbones.embedding import EmbeddingBackbone
from serlib.experiments.config import ExperimentConfig
from serlib.experiments.weights import resolve_weights
from serlib.features import cached_trunk_features, mel_preset
from serlib.features.normalize import MIN_SPEAKER_UTTERANCES, SpeakerStatisticsWarning
from serlib.models import BYOLSEmbedder, load_byols_encoder, mean_std_pool

__all__ = ["ByolsEmbedBackbone"]

#: the classifier's defaults on these embeddings (``backbone_options`` override them)
DEFAULTS = {"hidden": 64, "dropout": 0.3, "activation": "none"}


def _stats(frames: Tensor) -> tuple[Tensor, Tensor]:
    """Per-channel mean and standard deviation. Shape: frames (n, c); returns two (c,)."""
    return frames.mean(0), frames.std(0, unbiased=False)


class ByolsEmbedBackbone(EmbeddingBackbone):
    """Cached BYOL-S trunk → per-speaker frame correction → ``fc`` layer 1 → mean + std."""

    name = "byols_embed"
    test_time: ClassVar[Mapping[str, tuple[Any, ...]]] = {
        **EmbeddingBackbone.test_time, "frames": ("none", "utterance", "domain", "speaker")}
    #: per-speaker frames and embeddings: the cpu edition's numbers (target speaker)
    test_time_defaults: ClassVar[Mapping[str, Any]] = {"frames": "speaker",
                                                       "normalize": "speaker"}

    def __init__(self, config: ExperimentConfig, source_table: pd.DataFrame) -> None:
        self.frames = config.frames or self.test_time_defaults["frames"]
        weights = resolve_weights(config.backbone or self.name, config.weights,
                                  dict(config.backbone_options))
        self.embedder = BYOLSEmbedder(load_byols_encoder(weights, progress=False))
        self.mel_config = mel_preset("byols", normalize="utterance")
        self.dim = self.embedder.dim
        self._frames: dict[str, Tensor] = {}  # trunk frames by path, read once from the cache
        train = source_table[source_table["split"] == "train"]
        source = torch.cat(self._trunk(train))  # (frames of source train, trunk_dim)
        self.embedder.set_statistics(*_stats(source), *_stats(source))
        super().__init__(config, source_table)

    def _classifier_options(self) -> dict[str, Any]:
        return {**DEFAULTS, **super()._classifier_options()}

    def _trunk(self, table: pd.DataFrame, progress: bool = False) -> list[Tensor]:
        """Trunk frames of every row. Shape: each (frames/8, trunk_dim)."""
        paths = [str(p) for p in table["path"]]
        todo = table[[p not in self._frames for p in paths]]
        if len(todo):
            feats = cached_trunk_features(todo, self.embedder.encoder, self.mel_config,
                                          stats=None, progress=progress)
            for path, f in zip(todo["path"], feats, strict=True):
                self._frames[str(path)] = f[0].T.float()  # (1, c, frames/8) -> (frames/8, c)
        return [self._frames[p] for p in paths]

    def embed_groups(self, table: pd.DataFrame, groups: list[str] | None, *,
                     progress: bool = False, min_group: int = 1) -> Tensor:
        """Embeddings with each group's frames corrected by the group's statistics
        (``groups=None``: no correction, the source statistics for every row).

        ``min_group``: a group of fewer utterances keeps the source statistics (with a
        :class:`~serlib.features.normalize.SpeakerStatisticsWarning`): a speaker's
        statistics from two or three utterances subtract their emotions with their voice
        (chapter 9, "When speaker statistics fail").

        Shape:
            returns (len(table), 2 d).
        """
        frames = self._trunk(table, progress)
        out = torch.empty(len(table), self.dim)
        rows_of: dict[str, list[int]] = {}
        for i, g in enumerate(groups if groups is not None else ["all"] * len(table)):
            rows_of.setdefault(g, []).append(i)
        source = (self.embedder.source_mean, self.embedder.source_std)
        small = [g for g, rows in rows_of.items() if groups is not None
                 and len(rows) < min_group]
        if small:
            warnings.warn(f"{len(small)} speaker(s) have fewer than {min_group} utterances "
                          f"({sorted(small)[:5]}): their frames keep the source statistics",
                          SpeakerStatisticsWarning, stacklevel=2)
        with torch.no_grad():
            for group, rows in rows_of.items():
                h = torch.cat([frames[i] for i in rows])  # (group's frames, trunk_dim)
                stats = source if groups is None or group in small else _stats(h)
                f = self.embedder.neck(h, *stats)  # (group's frames, d): one call
                for i, part in zip(rows, f.split([len(frames[i]) for i in rows]), strict=True):
                    out[i] = mean_std_pool(part[None])[0]  # (1, frames/8, d) -> (2 d,)
        return out

    def frame_groups(self, table: pd.DataFrame) -> list[str] | None:
        """The groups whose statistics correct the frames (``frames`` option; None: none)."""
        if self.frames == "speaker":
            return [str(s) for s in table["speaker"]]
        if self.frames == "domain":
            return ["domain"] * len(table)
        if self.frames == "utterance":
            return [str(p) for p in table["path"]]
        return None

    def embed(self, table: pd.DataFrame, *, progress: bool) -> Tensor:
        # per-speaker statistics need enough utterances (the measured guard, chapter 9)
        floor = MIN_SPEAKER_UTTERANCES if self.frames == "speaker" else 1
        return self.embed_groups(table, self.frame_groups(table), progress=progress,
                                 min_group=floor)

    def bundle_embed(self, table: pd.DataFrame) -> Tensor:
        return self.embed_groups(table, None if self.frames == "none"
                                 else ["domain"] * len(table))

    def front(self, target_table: pd.DataFrame | None = None) -> tuple[nn.Module, dict[str, Any]]:
        front = copy.deepcopy(self.embedder)
        if target_table is not None and self.frames != "none":
            # the target domain's frame statistics, as a whole
            mean, std = _stats(torch.cat(self._trunk(target_table)))
            front.set_statistics(mean, std, self.embedder.source_mean,
                                 self.embedder.source_std)
        encoder = {"architecture": "BYOLSEncoder",
                   "kwargs": {"d": self.embedder.encoder.d,
                              "n_mels": self.embedder.encoder.n_mels}}
        return front, {"architecture": "BYOLSEmbedder", "kwargs": {"encoder": encoder}}
