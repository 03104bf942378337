"""Calibrating a bundle on a folder of unlabelled recordings (a speaker, a new corpus).

The cpu profile's models are trained on embeddings standardised with the statistics of
each speaker's own utterances (frames and embeddings, no labels). A bundle meeting
recordings one at a time cannot do that: it applies the statistics it was saved with
(those of the run's target domain), which is wrong for another language or microphone.
:func:`calibrated_bundle` gives it back what training had: given at least
:data:`MIN_RECORDINGS` unlabelled recordings of the speaker (or corpus) to predict, it
re-estimates

- the frame statistics of a :class:`~serlib.models.BYOLSEmbedder` front-end (the mean and
  standard deviation of the trunk's frames over the recordings), and
- the embedding standardisation of a :class:`~serlib.models.FrozenFrontClassifier`
  (the mean and standard deviation of the recordings' embeddings),

on a copy of the bundle (the bundle itself is not changed). Calibrate on one speaker's
recordings at a time to do what training did; on a mixed folder it is a domain-level
estimate. No label is used.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

import torch

from serlib.experiments.bundles import ModelBundle, recording_log_mels
from serlib.features import LogMel
from serlib.models import FrozenFrontClassifier

__all__ = ["MIN_RECORDINGS", "calibrated_bundle"]

#: fewer recordings than this give statistics too noisy to standardise 1024 dimensions
MIN_RECORDINGS = 10


def calibrated_bundle(bundle: ModelBundle, paths: Iterable[str | os.PathLike[str]]
                      ) -> ModelBundle:
    """A copy of ``bundle`` whose statistics come from these unlabelled recordings.

    Args:
        bundle: a bundle whose model reads fixed embeddings
            (:class:`~serlib.models.FrozenFrontClassifier`: the smoke and cpu profiles).
        paths: at least :data:`MIN_RECORDINGS` recordings of the speaker or corpus whose
            emotions you will predict.

    Raises:
        ValueError: the bundle's model is fine-tuned end to end (it has no separate
            statistics to re-estimate), or too few recordings are given.
        RecordingNotFoundError, AudioDecodeError: a file is missing or unreadable.

    Chapter: book/11_your_language.md
    """
    paths = [Path(p) for p in paths]
    if not isinstance(bundle.model, FrozenFrontClassifier):
        raise ValueError(f"bundle {bundle.path or '(in memory)'}: its "
                         f"{type(bundle.model).__name__} is trained end to end and keeps no "
                         "separate statistics to calibrate; predict without calibration")
    if len(paths) < MIN_RECORDINGS:
        raise ValueError(f"calibration needs at least {MIN_RECORDINGS} recordings of the "
                         f"speaker or corpus, got {len(paths)}; record more, or predict "
                         "without calibration")
    model = copy.deepcopy(bundle.model).eval()
    front_end = LogMel(bundle.mel_config)
    xs = [recording_log_mels(bundle, front_end, p) for p in paths]  # each (1, 1, n_mels, T)
    front = model.front
    with torch.no_grad():
        if hasattr(front, "set_statistics"):  # BYOLSEmbedder: frame statistics first
            frames = []
            for x in xs:
                lengths = torch.tensor([x.shape[-1]])
                h = front.encoder.forward_trunk(x, lengths)  # (1, frames/8, trunk_dim)
                frames.append(h[0, : int(front.encoder.trunk_lengths(lengths)[0])])
            h = torch.cat(frames)  # (all frames, trunk_dim)
            front.set_statistics(h.mean(0), h.std(0, unbiased=False), front.source_mean,
                                 front.source_std)
        e = torch.cat([front(x, torch.tensor([x.shape[-1]]))[:, 0, :, 0] for x in xs])
        model.mean.copy_(e.mean(0))  # e: (recordings, dim)
        model.std.copy_(e.std(0, unbiased=False).clamp(min=1e-5))
    metadata = {**bundle.metadata, "calibrated_on": len(paths)}
    return dataclasses.replace(bundle, model=model, metadata=metadata)
